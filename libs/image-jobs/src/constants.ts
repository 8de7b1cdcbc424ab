/**
 * The job states a producer sees, and how they are stored in the image-jobs ledger table (the same
 * items the worker's lease ledger writes: one per jobId).
 *
 *   QUEUED -> PROCESSING -> COMPLETED | FAILED | DEAD_LETTERED | CANCELLED
 *
 * Every transition is one conditional write; see docs/image-worker.md for the diagram.
 */
export const JOB_STATES = [
  'QUEUED',
  'PROCESSING',
  'COMPLETED',
  'FAILED',
  'DEAD_LETTERED',
  'CANCELLED',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a person must look at; only these carry the sparse index key (see attentionIndexKeys). */
export const ATTENTION_STATES = ['FAILED', 'DEAD_LETTERED', 'CANCELLED'] as const;
export type AttentionState = (typeof ATTENTION_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['COMPLETED', 'DEAD_LETTERED', 'CANCELLED']);

/**
 * The status the worker's lease ledger stores for a job handed back by a worker (release) or
 * written by an older producer: the same state as QUEUED for everyone outside the ledger.
 */
export const LEGACY_QUEUED_STATUS = 'PENDING';

/**
 * What a submit stores. The worker's acquire accepts it, a released lease (PENDING) and a missing
 * item (a producer that only speaks SQS).
 */
export const SUBMITTED_STATUS = 'QUEUED';

/** The image-jobs table's partition key and its sparse index (libs/aws-resources definition). */
export const KEY_ATTRIBUTE = 'jobId';
export const ATTENTION_INDEX = 'byAttentionStatus';
export const ATTENTION_KEY_ATTRIBUTE = 'attentionKey';
export const ATTENTION_SORT_ATTRIBUTE = 'attentionSort';
/** The table's TTL attribute (epoch SECONDS): garbage collection only. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** How long a record of a job nobody processes is kept before DynamoDB's TTL may delete it. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;

// SigV4 presigned URLs are valid for at most 7 days (S3 "Sharing objects with presigned URLs").
export const MAX_URL_EXPIRES_SECONDS = 7 * 24 * 3600;
export const DEFAULT_URL_EXPIRES_SECONDS = 15 * 60;

/** Longest window `listJobs` walks day by day (one Query per day bucket). */
export const MAX_LIST_DAYS = 90;
