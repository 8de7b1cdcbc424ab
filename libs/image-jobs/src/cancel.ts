import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RETENTION_MS, KEY_ATTRIBUTE, LEGACY_QUEUED_STATUS, TTL_ATTRIBUTE } from './constants.ts';
import { refusedItem } from './ddb.ts';
import { JobNotFoundError } from './errors.ts';
import { attentionIndexKeys, toJobView } from './record.ts';
import type { CallOptions, ImageJobsDeps, ImageJobsTarget, JobView } from './types.ts';

export type CancelResult =
  /** Recorded CANCELLED. From PROCESSING, the holder stops at its next heartbeat and records nothing. */
  | { kind: 'cancelled'; previous: 'QUEUED' | 'PROCESSING'; job: JobView }
  | { kind: 'already-cancelled'; job: JobView }
  /** The job had already finished (the cancel lost the race to a completion, or came after it). */
  | { kind: 'too-late'; job: JobView };

/**
 * QUEUED or PROCESSING -> CANCELLED, one conditional write. The worker's every write is conditional
 * on PROCESSING + its lease, so whichever of a cancel and a completion lands first wins cleanly:
 * a completion after the cancel is refused (the job stays CANCELLED), a cancel after the completion
 * is refused (the job stays COMPLETED, `too-late`).
 */
export async function cancelJob(
  deps: ImageJobsDeps,
  jobId: string,
  options: ImageJobsTarget & CallOptions & { reason?: string; retentionMs?: number },
): Promise<CancelResult> {
  const now = (deps.clock ?? Date.now)();
  const index = attentionIndexKeys('CANCELLED', now, jobId);
  try {
    const output = await deps.ddb.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: { [KEY_ATTRIBUTE]: jobId },
        UpdateExpression:
          [
            'SET #status = :cancelled, cancelledAt = :now, updatedAt = :now, cancelReason = :reason',
            'previousStatus = #status, attentionKey = :ak, attentionSort = :as, #ttl = :ttl',
            // A fencing bump on top of the status change: no holder write can match an old version either.
            'version = if_not_exists(version, :zero) + :one',
          ].join(', ') + ' REMOVE leaseExpiresAt',
        ConditionExpression: `attribute_exists(${KEY_ATTRIBUTE}) AND #status IN (:queued, :pending, :processing)`,
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':cancelled': 'CANCELLED',
          ':queued': 'QUEUED',
          ':pending': LEGACY_QUEUED_STATUS,
          ':processing': 'PROCESSING',
          ':now': now,
          ':reason': (options.reason ?? 'cancelled').slice(0, 512),
          ':ak': index.attentionKey,
          ':as': index.attentionSort,
          ':ttl': Math.ceil((now + (options.retentionMs ?? DEFAULT_RETENTION_MS)) / 1000),
          ':zero': 0,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: options.signal },
    );
    const job = toJobView(output.Attributes ?? {});
    const previous = output.Attributes?.previousStatus === 'PROCESSING' ? 'PROCESSING' : 'QUEUED';
    return { kind: 'cancelled', previous, job };
  } catch (error) {
    const { item } = refusedItem(error);
    if (item === undefined) throw new JobNotFoundError(jobId, options.tableName);
    const job = toJobView(item);
    // A retried request whose first attempt took effect also lands here: it reads as already cancelled.
    return job.state === 'CANCELLED' ? { kind: 'already-cancelled', job } : { kind: 'too-late', job };
  }
}
