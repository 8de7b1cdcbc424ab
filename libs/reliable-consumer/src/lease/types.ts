import type { HandlerContextBase, HandlerOutcome } from '../consumer/types.ts';
import type { FieldChanges, Lease, LeaseRecord } from '../ledger/types.ts';

/** What withLease needs from the consumer's handler context (any HandlerContext fits). */
export type LeaseContext = Pick<HandlerContextBase, 'signal' | 'receiveCount' | 'onHeartbeat' | 'log'>;

/** The one failure policy's numbers; a service builds it once from its configuration. */
export interface LeasePolicy {
  /**
   * Failed attempts (ledger `failures`, never SQS receives) after which a job is given up: FAILED
   * with the reason, and the message dead-lettered by the consumer. 1..maxReceiveCount.
   */
  maxAttempts: number;
  /**
   * The queue's RedrivePolicy maxReceiveCount: a higher backstop for receives burned by things that
   * are not failures (a killed or paused holder, a lost receive, `busy`). Its last receive never
   * ends in a retry: the ledger gets a verdict first.
   */
  maxReceiveCount: number;
  /**
   * Whether a given-up job stays acquirable (FAILED with lastError.retryable): true lets a DLQ
   * redrive run it again (image jobs); false makes every later delivery see `failed` (an SMS must
   * not be sent again after its invitation was reported failed). Default false.
   */
  exhaustedRetryable?: boolean;
}

/** The held lease, as the work sees it. Every write goes through here, one at a time. */
export interface HeldLease {
  /** The current lease (renewals replace it). */
  readonly lease: Lease;
  /** The record as this acquire left it (service fields from earlier attempts included). */
  readonly record: LeaseRecord;
  /** 1-based acquisition number (ledger `attempts`). */
  readonly attempt: number;
  /** Failed attempts recorded before this one. */
  readonly failures: number;
  /** Lease time left on the monotonic deadline, ms. */
  remainingMs(): number;
  /**
   * Throws unless the handler still runs (signal not aborted) and more than the safety margin is
   * left on the lease (LeaseLostError, reason 'deadline'). Call it before EVERY side effect (upload,
   * provider call); the ledger writes below call it themselves. `leadMs`: that much more must be
   * left, for a side effect that needs time of its own (see LeaseLedger.assertLive).
   */
  assertLive(before: string, leadMs?: number): void;
  /** Fenced SET/REMOVE of service fields, serialised with renewals. */
  update(changes: FieldChanges): Promise<LeaseRecord>;
}

/** What the work returns; a thrown error is classified instead (see withLease). */
export type LeasedWorkResult =
  | {
      kind: 'completed';
      /** Stored with COMPLETED in the same conditional write. */
      attributes?: Record<string, unknown>;
      /** After the ledger says COMPLETED (e.g. publish a status); default ack. */
      after?: (record: LeaseRecord) => Promise<HandlerOutcome>;
    }
  | {
      kind: 'failed';
      error: unknown;
      /** false: FAILED for good now. true: counted against maxAttempts and retried. */
      retryable: boolean;
      /** Service fields written with FAILED, in the same write. */
      set?: Record<string, unknown>;
      remove?: readonly string[];
      /** After a permanent FAILED (not used for retries); default dead-letter with the error's code. */
      after?: (record: LeaseRecord) => Promise<HandlerOutcome>;
    };

/** Typed notes for metrics and logs; withLease already logs each at a fitting level. */
export type LeaseEvent =
  | { kind: 'acquired'; lease: Lease }
  | { kind: 'duplicate'; record: LeaseRecord }
  /** Acquire found the key FAILED for good by an earlier attempt. */
  | { kind: 'already-failed'; record: LeaseRecord }
  /** Acquire found the key CANCELLED: the delivery is acknowledged without work. */
  | { kind: 'cancelled'; record: LeaseRecord }
  | { kind: 'busy'; record: LeaseRecord; delaySeconds: number }
  | { kind: 'completed'; record: LeaseRecord }
  | { kind: 'failed-permanently'; code: string; record: LeaseRecord }
  | { kind: 'retrying'; code: string; failures: number }
  | { kind: 'exhausted'; code: string; reason: ExhaustedReason; record: LeaseRecord }
  | { kind: 'lease-lost'; error: unknown }
  | { kind: 'released'; reason: string };

export type ExhaustedReason = 'ATTEMPTS_EXHAUSTED' | 'RECEIVES_EXHAUSTED';

export interface LeaseRequest {
  key: string;
  /** Unique per process (a restarted pod is a new owner); the per-acquire token tells attempts apart. */
  owner: string;
  policy: LeasePolicy;
  /** What the key names, for log lines ("job" -> "job leased by another worker; deferring"). Default "key". */
  subject?: string;
  /** Stored by the acquire (e.g. the job's template, the masked recipient). */
  attributes?: Record<string, unknown>;
  /** The key is COMPLETED already (a duplicate delivery). Default: ack. */
  onCompleted?: (record: LeaseRecord) => Promise<HandlerOutcome>;
  /** The key is FAILED for good. Default: dead-letter with lastError's code. */
  onFailed?: (record: LeaseRecord) => Promise<HandlerOutcome>;
  /** The key is CANCELLED. Default: ack (nothing to do, ever). */
  onCancelled?: (record: LeaseRecord) => Promise<HandlerOutcome>;
  /**
   * Service fields written with every FINAL failure verdict (permanent, or given up), in the same
   * conditional write: e.g. the keys of a sparse "needs a person" index.
   */
  finalFailureFields?: () => Record<string, unknown>;
  /** After the give-up verdict is stored. Default: dead-letter with the ExhaustedReason. */
  onExhausted?: (record: LeaseRecord, reason: ExhaustedReason) => Promise<HandlerOutcome>;
  /** Metrics and the service's own log lines. Must not throw (a throw is logged and ignored). */
  observe?: (event: LeaseEvent) => void;
}
