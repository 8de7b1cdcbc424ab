import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type LeaseStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

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
  /** Number of successful acquisitions (processing attempts). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  lastError: LedgerError | undefined;
  /** Everything else stored on the item (caller attributes such as template, s3Uri, sha256). */
  attributes: Record<string, unknown>;
}

/** Proof of holding the lease; pass it back to renew/complete/fail/release. */
export interface Lease {
  key: string;
  owner: string;
  version: number;
  expiresAt: number;
  attempts: number;
  record: LeaseRecord;
}

export type AcquireResult =
  | { kind: 'acquired'; lease: Lease }
  | { kind: 'completed'; record: LeaseRecord }
  /** A live lease elsewhere; `msUntilExpiry` is how long to stay away (e.g. a consumer `defer`). */
  | { kind: 'busy'; record: LeaseRecord; msUntilExpiry: number }
  /** FAILED and not retryable: it will never be processed again. */
  | { kind: 'failed'; record: LeaseRecord };

export interface LeaseLedgerDeps {
  ddb: DynamoDBDocumentClient;
  /** Epoch milliseconds; injected so tests can expire leases without waiting. */
  clock?: () => number;
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
}

export interface FailOptions {
  /** Any error; its code and message come from classifyError unless it is already a {code,message}. */
  error: unknown;
  /** Default: classifyError(error).kind === 'transient'. */
  retryable?: boolean;
}

/** Every ledger call accepts an AbortSignal, passed to the SDK (shutdown must not wait on a hung write). */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface LeaseLedger {
  readonly options: Readonly<Required<Omit<LeaseLedgerOptions, 'retentionMs'>>> & {
    retentionMs: number | undefined;
  };
  acquire(
    key: string,
    owner: string,
    options?: CallOptions & { attributes?: Record<string, unknown> },
  ): Promise<AcquireResult>;
  /** Extends the lease by leaseDurationMs from now and bumps the fencing version; LeaseLostError if not ours. */
  renew(lease: Lease, options?: CallOptions): Promise<Lease>;
  /** PROCESSING -> COMPLETED, storing `attributes`; LeaseLostError if not ours. */
  complete(lease: Lease, attributes?: Record<string, unknown>, options?: CallOptions): Promise<LeaseRecord>;
  /** PROCESSING -> FAILED with lastError; retryable failures can be re-acquired, permanent ones never. */
  fail(lease: Lease, failure: FailOptions, options?: CallOptions): Promise<LeaseRecord>;
  /** PROCESSING -> PENDING, lease cleared (shutdown): the next delivery acquires at once. */
  release(lease: Lease, options?: CallOptions): Promise<LeaseRecord>;
  /** Strongly consistent read. */
  get(key: string, options?: CallOptions): Promise<LeaseRecord | undefined>;
}
