/**
 * The ledger's states, in one place. A later state (e.g. QUEUED written by a producer, CANCELLED,
 * DEAD_LETTERED) is added here and to the list it belongs to; the acquire condition, the record
 * parser and the acquire result are all built from these lists.
 */
export const LEASE_STATUSES = [
  'QUEUED',
  'PENDING',
  'PROCESSING',
  'COMPLETED',
  'FAILED',
  'DEAD_LETTERED',
  'CANCELLED',
] as const;

/**
 * States a worker may acquire from without looking further (plus absent, retryable FAILED, expired
 * PROCESSING): QUEUED (written by a producer at submit), PENDING (a released lease) and
 * DEAD_LETTERED (poison recorded by an earlier delivery: a message that reaches the lease again was
 * redriven after its cause was fixed, and is valid now).
 */
export const FREELY_ACQUIRABLE_STATUSES = ['QUEUED', 'PENDING', 'DEAD_LETTERED'] as const;

/** States no lease ever leaves (FAILED only when not retryable). */
export const TERMINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const;

/**
 * States a poison message (one that can never be processed as sent) may be recorded over as
 * DEAD_LETTERED: never over a live lease, a result or a cancel.
 */
export const DEAD_LETTERABLE_STATUSES = ['QUEUED', 'PENDING', 'DEAD_LETTERED'] as const;

/** Attributes the ledger owns; callers cannot set or remove them through `attributes` / `update`. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'status',
  'leaseOwner',
  'leaseToken',
  'leaseExpiresAt',
  'version',
  'attempts',
  'failures',
  'createdAt',
  'updatedAt',
  'startedAt',
  'completedAt',
  'failedAt',
  'deadLetteredAt',
  'lastError',
]);

/** Default clock-skew allowance: at most 1 s, and never more than a tenth of the lease. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 1_000;
/** Default safety margin a side effect needs left on the lease: at most 1 s, at most a tenth of it. */
export const DEFAULT_MAX_SAFETY_MARGIN_MS = 1_000;
/** Extra tries of an acquire whose request failed in transit (same lease token, so it stays idempotent). */
export const DEFAULT_ACQUIRE_RETRIES = 2;

/** The longest annotateLater linger: a marker left longer reads as pending to anyone looking. */
export const MAX_ANNOTATION_LINGER_MS = 1_000;
