import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  ATTENTION_INDEX,
  ATTENTION_KEY_ATTRIBUTE,
  ATTENTION_SORT_ATTRIBUTE,
  ATTENTION_STATES,
  MAX_LIST_DAYS,
  type AttentionState,
} from './constants.ts';
import { getItem } from './ddb.ts';
import { InvalidOptionError } from './errors.ts';
import { dayOf, toJobView } from './record.ts';
import type { CallOptions, ImageJobsDeps, ImageJobsTarget, JobView } from './types.ts';

const DAY_MS = 24 * 3600 * 1000;

/** The job as stored now (strongly consistent), or undefined when there is no record. */
export async function getJob(
  deps: ImageJobsDeps,
  jobId: string,
  options: ImageJobsTarget & CallOptions,
): Promise<JobView | undefined> {
  const item = await getItem(deps, options.tableName, jobId, options);
  return item === undefined ? undefined : toJobView(item);
}

export interface ListJobsOptions extends ImageJobsTarget, CallOptions {
  status: AttentionState;
  /** Epoch ms; default 7 days before `until`. At most 90 days before it. */
  since?: number;
  /** Epoch ms; default now. */
  until?: number;
  /** Most jobs returned, newest first. Default 100. */
  limit?: number;
}

/**
 * Jobs that entered `status` (FAILED, DEAD_LETTERED or CANCELLED) between `since` and `until`,
 * newest first, from the sparse index: one Query per day bucket, never a scan. The index is
 * eventually consistent: a job that just changed state may take a moment to appear.
 */
export async function listJobs(
  deps: ImageJobsDeps,
  options: ListJobsOptions,
): Promise<{ jobs: JobView[]; truncated: boolean }> {
  if (!(ATTENTION_STATES as readonly string[]).includes(options.status)) {
    throw new InvalidOptionError(
      `status must be one of ${ATTENTION_STATES.join(', ')} (the states the index keeps), received ${String(options.status)}`,
    );
  }
  const until = options.until ?? (deps.clock ?? Date.now)();
  const since = options.since ?? until - 7 * DAY_MS;
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new InvalidOptionError(`limit must be an integer between 1 and 10000, received ${limit}`);
  if (!(since <= until)) throw new InvalidOptionError('since must not be after until');
  if (until - since > MAX_LIST_DAYS * DAY_MS)
    throw new InvalidOptionError(`the window may span at most ${MAX_LIST_DAYS} days`);

  const jobs: JobView[] = [];
  const from = new Date(since).toISOString();
  // '~' sorts after every character of an ISO time and a job id, so the bound includes `until` itself.
  const to = `${new Date(until).toISOString()}~`;
  for (
    let day = Date.parse(`${dayOf(until)}T00:00:00.000Z`);
    day >= Date.parse(`${dayOf(since)}T00:00:00.000Z`);
    day -= DAY_MS
  ) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.ddb.send(
        new QueryCommand({
          TableName: options.tableName,
          IndexName: ATTENTION_INDEX,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': ATTENTION_KEY_ATTRIBUTE, '#sk': ATTENTION_SORT_ATTRIBUTE },
          ExpressionAttributeValues: { ':pk': `${options.status}#${dayOf(day)}`, ':from': from, ':to': to },
          ScanIndexForward: false,
          Limit: limit - jobs.length + 1,
          ExclusiveStartKey,
        }),
        { abortSignal: options.signal },
      );
      for (const item of page.Items ?? []) {
        const job = toJobView(item);
        // An entry left by an earlier visit to this state (a FAILED job redriven and completed):
        // index keys are overwritten when a job enters an attention state again, never removed.
        if (job.state !== options.status) continue;
        if (jobs.length === limit) return { jobs, truncated: true };
        jobs.push(job);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
  }
  return { jobs, truncated: false };
}
