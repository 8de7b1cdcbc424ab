import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnnotationOutcome } from './annotationBatcher.ts';
import type { LEASE_STATUSES } from './constants.ts';

export type LeaseStatus = (typeof LEASE_STATUSES)[number];

export interface LedgerError {
  code: string;
  message: string;
  retryable: boolean;
}

/** One ledger item as stored. Caller attributes sit beside these fields (see `attributes`). */
export interface LeaseRecord {
  key: string;
  status: LeaseStatus;
  leaseOwner: string | undefined;
  /** Epoch milliseconds. The ONLY source of truth for lease liveness (the TTL attribute never is). */
  leaseExpiresAt: number | undefined;
  /** Fencing token: +1 on every acquire and renew; every later write is conditional on it. */
  version: number;
  /** Number of successful acquisitions (processing attempts), including ones a crash or pause cut short. */
  attempts: number;
  /** Attempts that ended in a recorded failure (`fail`): what a retry limit counts, never SQS receives. */
  failures: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  lastError: LedgerError | undefined;
  /** Everything else stored on the item (caller attributes such as template, s3Uri, sha256). */
  attributes: Record<string, unknown>;
}

/** Proof of holding the lease; pass it back to renew/update/complete/fail/release. */
export interface Lease {
  key: string;
  owner: string;
  /** Per-acquire random token: lets a retried acquire recognise the lease it took itself. */
  token: string;
  version: number;
  /** Epoch ms as stored (leaseExpiresAt): what OTHER workers compare with their clocks. */
  expiresAt: number;
  /**
   * This process's own deadline on the MONOTONIC clock: measured from just before the acquire (or
   * renew) request was sent, minus the clock-skew allowance. Immune to wall-clock jumps, and a
   * pause (GC, SIGSTOP, a frozen VM) runs it down like any other time.
   */
  localDeadline: number;
  attempts: number;
  failures: number;
  record: LeaseRecord;
}

export type AcquireResult =
  | { kind: 'acquired'; lease: Lease }
  | { kind: 'completed'; record: LeaseRecord }
  /** A live lease elsewhere; `msUntilExpiry` is how long to stay away (e.g. a consumer `defer`). */
  | { kind: 'busy'; record: LeaseRecord; msUntilExpiry: number }
  /** FAILED and not retryable: it will never be processed again. */
  | { kind: 'failed'; record: LeaseRecord }
  /** CANCELLED by a producer before (or while) it ran: acknowledge the delivery without work. */
  | { kind: 'cancelled'; record: LeaseRecord };

export interface LeaseLedgerDeps {
  /** Only `send` is used, so a test can wrap the client (drop a response, count calls). */
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  /** Epoch milliseconds; injected so tests can expire leases without waiting. */
  clock?: () => number;
  /** Monotonic milliseconds (default performance.now): the holder's own lease deadline. */
  monotonic?: () => number;
  /** Random lease token per acquire; default crypto.randomUUID. */
  newToken?: () => string;
}

export interface LeaseLedgerOptions {
  tableName: string;
  /** The table's partition key attribute, e.g. 'jobId' or 'invitationId'. */
  keyName: string;
  /** How long an acquire or renew keeps the lease, in ms. */
  leaseDurationMs: number;
  /** When set, finished (COMPLETED/FAILED) records get a TTL of now + retentionMs, for garbage collection only. */
  retentionMs?: number;
  /** The table's TTL attribute (epoch SECONDS). Default 'expiresAt'. */
  ttlAttribute?: string;
  /**
   * How far another worker's wall clock may run ahead of ours, ms: our local deadline is that much
   * earlier than the stored expiry. Default min(1000, leaseDurationMs / 10).
   */
  clockSkewAllowanceMs?: number;
  /**
   * Lease time a holder write or side effect needs left (on the local deadline), ms; with less the
   * holder abandons without it. Default min(1000, leaseDurationMs / 10).
   */
  safetyMarginMs?: number;
  /** Extra tries of an acquire whose request failed in transit (same token). Default 2. */
  acquireRetries?: number;
  /**
   * How long an `annotateLater` waits for other records' annotations to share one call, ms
   * (0..1000). Default 0: sent at once, one call each.
   */
  annotationLingerMs?: number;
}

export interface FailOptions {
  /** Any error; its code and message come from classifyError unless it is already a {code,message}. */
  error: unknown;
  /** Default: classifyError(error).kind === 'transient'. */
  retryable?: boolean;
  /** Service fields written in the same conditional write (e.g. an attempt log). */
  set?: Record<string, unknown>;
  /** Service fields removed in the same write (e.g. an in-flight marker). */
  remove?: readonly string[];
}

/** Service fields changed under the holder condition (`ledger.update`). */
export interface FieldChanges {
  set?: Record<string, unknown>;
  remove?: readonly string[];
}

/** Every ledger call accepts an AbortSignal, passed to the SDK (shutdown must not wait on a hung write). */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface ResolvedLeaseLedgerOptions {
  tableName: string;
  keyName: string;
  leaseDurationMs: number;
  ttlAttribute: string;
  retentionMs: number | undefined;
  clockSkewAllowanceMs: number;
  safetyMarginMs: number;
  acquireRetries: number;
  annotationLingerMs: number;
}

export interface LeaseLedger {
  readonly options: Readonly<ResolvedLeaseLedgerOptions>;
  acquire(
    key: string,
    owner: string,
    options?: CallOptions & { attributes?: Record<string, unknown> },
  ): Promise<AcquireResult>;
  /** Extends the lease by leaseDurationMs from now and bumps the fencing version; LeaseLostError if not ours. */
  renew(lease: Lease, options?: CallOptions): Promise<Lease>;
  /** SET/REMOVE service fields under the holder condition (no version bump); LeaseLostError if not ours. */
  update(lease: Lease, changes: FieldChanges, options?: CallOptions): Promise<LeaseRecord>;
  /** PROCESSING -> COMPLETED, storing `attributes`; LeaseLostError if not ours. */
  complete(lease: Lease, attributes?: Record<string, unknown>, options?: CallOptions): Promise<LeaseRecord>;
  /** PROCESSING -> FAILED with lastError, failures + 1; retryable failures can be re-acquired, permanent ones never. */
  fail(lease: Lease, failure: FailOptions, options?: CallOptions): Promise<LeaseRecord>;
  /** PROCESSING -> PENDING, lease cleared (not a failure: shutdown, lost visibility): the next delivery acquires at once. */
  release(lease: Lease, options?: CallOptions): Promise<LeaseRecord>;
  /** Strongly consistent read. */
  get(key: string, options?: CallOptions): Promise<LeaseRecord | undefined>;
  /**
   * Records a poison message's key as DEAD_LETTERED with the reason (no lease involved): allowed
   * when absent, QUEUED, PENDING or DEAD_LETTERED, never over a live lease, a result or a cancel.
   * Returns the record, or `{ refused }` with the record as it stands.
   */
  markDeadLettered(
    key: string,
    failure: FailOptions,
    options?: CallOptions,
  ): Promise<
    { kind: 'recorded'; record: LeaseRecord } | { kind: 'refused'; record: LeaseRecord | undefined }
  >;
  /**
   * Service fields changed on a record that is in `status` (no lease: e.g. clearing a marker on a
   * COMPLETED record). Returns undefined when the record is not (or no longer) in that status.
   */
  annotate(
    key: string,
    status: LeaseStatus,
    changes: FieldChanges,
    options?: CallOptions,
  ): Promise<LeaseRecord | undefined>;
  /**
   * annotate() for a change nobody waits for (e.g. clearing a marker once its event is out):
   * queued and sent with other records' in one TransactWriteItems after `annotationLingerMs`
   * (annotationBatcher.ts). Resolves with the outcome, never rejects; `flushAnnotations()` sends
   * what is queued at once (shutdown).
   */
  annotateLater(key: string, status: LeaseStatus, changes: FieldChanges): Promise<AnnotationOutcome>;
  /** Sends every queued annotateLater now and waits for them all to settle. */
  flushAnnotations(): Promise<void>;
  /** Lease time left on the holder's monotonic deadline, ms (negative once past). */
  remainingMs(lease: Lease): number;
  /**
   * Throws a LeaseLostError (reason 'deadline') unless more than safetyMarginMs is left on the
   * local deadline. Every holder write calls it; call it before every other side effect too.
   * `leadMs`: that much more must be left (a side effect that needs time of its own, e.g. an
   * upload signed to expire with the lease needs S3's whole second).
   */
  assertLive(lease: Lease, before: string, leadMs?: number): void;
}
