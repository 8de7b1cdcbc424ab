import type { ImageJobRequested } from '@platform/contracts';
import {
  ATTENTION_KEY_ATTRIBUTE,
  ATTENTION_SORT_ATTRIBUTE,
  JOB_STATES,
  LEGACY_QUEUED_STATUS,
  type AttentionState,
  type JobState,
} from './constants.ts';
import type { JobError, JobResult, JobView } from './types.ts';

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The stored status as a producer's state: a released lease (PENDING) is queued again. */
export function stateOf(status: unknown): JobState {
  if (status === LEGACY_QUEUED_STATUS) return 'QUEUED';
  return (JOB_STATES as readonly unknown[]).includes(status) ? (status as JobState) : 'QUEUED';
}

/** The UTC day of an epoch-ms time: the index partition's bucket (`FAILED#2025-01-31`). */
export function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * The sparse index keys of a job that entered an attention state at `atMs`. Partitioned by state
 * AND day, so one busy day of failures spreads nothing onto the common states and a partition
 * stays bounded; sorted by time then job id (unique). Every writer of these states uses this.
 */
export function attentionIndexKeys(
  state: AttentionState,
  atMs: number,
  jobId: string,
): Record<string, string> {
  return {
    [ATTENTION_KEY_ATTRIBUTE]: `${state}#${dayOf(atMs)}`,
    [ATTENTION_SORT_ATTRIBUTE]: `${new Date(atMs).toISOString()}#${jobId}`,
  };
}

function jobError(value: unknown): JobError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message, retryable } = value as Record<string, unknown>;
  return { code: str(code) ?? 'UNKNOWN', message: str(message) ?? '', retryable: retryable === true };
}

function resultOf(item: Record<string, unknown>): JobResult | undefined {
  const s3Uri = str(item.s3Uri);
  const bucket = str(item.bucket);
  const key = str(item.key);
  const sha256 = str(item.sha256);
  const bytes = num(item.bytes);
  if (s3Uri === undefined || bucket === undefined || key === undefined || sha256 === undefined)
    return undefined;
  return {
    s3Uri,
    bucket,
    key,
    contentType: str(item.contentType) ?? 'application/octet-stream',
    bytes: bytes ?? 0,
    sha256,
    durationMs: num(item.durationMs),
  };
}

/** A stored ledger item (written by this library, the worker, or both) as a producer reads it. */
export function toJobView(item: Record<string, unknown>): JobView {
  const state = stateOf(item.status);
  const request =
    typeof item.request === 'object' && item.request !== null
      ? (item.request as ImageJobRequested)
      : undefined;
  return {
    jobId: String(item.jobId),
    state,
    attempts: num(item.attempts) ?? 0,
    queuedAt: num(item.queuedAt),
    startedAt: num(item.startedAt),
    completedAt: num(item.completedAt),
    failedAt: num(item.failedAt) ?? num(item.deadLetteredAt),
    cancelledAt: num(item.cancelledAt),
    cancelReason: str(item.cancelReason),
    updatedAt: num(item.updatedAt),
    messageSentAt: num(item.messageSentAt),
    messageId: str(item.messageId),
    leaseOwner: str(item.leaseOwner),
    leaseExpiresAt: num(item.leaseExpiresAt),
    lastError: jobError(item.lastError),
    result: state === 'COMPLETED' ? resultOf(item) : undefined,
    request,
    correlationId: str(item.correlationId) ?? request?.correlationId,
    requestedBy: str(item.requestedBy) ?? request?.requestedBy,
    eventPending: item.eventPending === true,
  };
}
