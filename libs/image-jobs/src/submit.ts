import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeMessage, type ImageJobRequested } from '@platform/contracts';
import { DEFAULT_RETENTION_MS, KEY_ATTRIBUTE, SUBMITTED_STATUS, TTL_ATTRIBUTE } from './constants.ts';
import { getItem, refusedItem } from './ddb.ts';
import {
  InvalidOptionError,
  JobIdConflictError,
  JobNotFoundError,
  JobNotResubmittableError,
  SubmitSendError,
} from './errors.ts';
import { toJobView } from './record.ts';
import { differingFields, requestHashOf } from './requestIdentity.ts';
import type {
  BatchItemResult,
  CallOptions,
  ImageJobsDeps,
  JobView,
  SubmitOptions,
  SubmitResult,
} from './types.ts';

// Submits in flight for a batch: enough to hide latency, few enough to stay far from throttling.
const DEFAULT_BATCH_CONCURRENCY = 8;

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new InvalidOptionError(`${what} is required`);
  return value;
}

/**
 * Submits one image job: validate -> ledger record QUEUED (conditional on the id being new) ->
 * SendMessage -> mark the message sent.
 *
 * - The same job id with the same request (IDENTITY_FIELDS) returns the stored job (`existing`);
 *   a different request under a used id throws JobIdConflictError.
 * - A crash or a failed send after the ledger write leaves a QUEUED record without `messageSentAt`:
 *   submitting again (same id) or `resubmitImageJob` sends it. A duplicate message is harmless,
 *   the worker's ledger makes the effect once.
 * - A payload that fails the contract throws ContractViolation before anything is written.
 */
export async function submitImageJob(
  deps: ImageJobsDeps,
  job: ImageJobRequested,
  options: SubmitOptions,
): Promise<SubmitResult> {
  const sqs = required(deps.sqs, 'deps.sqs');
  const queueUrl = required(options.queueUrl, 'options.queueUrl');
  const tableName = required(options.tableName, 'options.tableName');
  const clock = deps.clock ?? Date.now;
  // Validates against the contract (throws ContractViolation) and captures the caller's trace context.
  const encoded = encodeMessage('image.job.requested', job);
  // What goes on the wire, and so what is stored: the JSON round trip drops undefined properties.
  const request = JSON.parse(encoded.MessageBody) as ImageJobRequested;
  const requestHash = requestHashOf(request);
  const now = clock();
  const item: Record<string, unknown> = {
    [KEY_ATTRIBUTE]: request.jobId,
    status: SUBMITTED_STATUS,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    queuedAt: now,
    request,
    requestHash,
    requestedBy: request.requestedBy,
    correlationId: request.correlationId,
    // Garbage collection only: a record nobody ever processes does not stay forever.
    [TTL_ATTRIBUTE]: Math.ceil((now + (options.retentionMs ?? DEFAULT_RETENTION_MS)) / 1000),
  };

  let existing: Record<string, unknown> | undefined;
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: `attribute_not_exists(${KEY_ATTRIBUTE})`,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: options.signal },
    );
  } catch (error) {
    existing = refusedItem(error).item;
    if (existing === undefined) throw error;
  }

  if (existing !== undefined) {
    const stored = toJobView(existing);
    const storedRequest = stored.request;
    if (existing.requestHash !== undefined && existing.requestHash !== requestHash) {
      throw new JobIdConflictError(
        stored,
        storedRequest === undefined ? [] : differingFields(storedRequest, request),
      );
    }
    if (existing.requestHash === undefined) {
      // Written by the worker for an SQS-only producer: compare what it recorded of the request.
      const differing = (['template', 'width', 'height', 'format'] as const).filter(
        (field) => existing[field] !== undefined && existing[field] !== request[field],
      );
      if (differing.length > 0) throw new JobIdConflictError(stored, differing);
    }
    // Also our own earlier put whose response was lost and retried by the SDK: the message is still due.
    if (stored.state === 'QUEUED' && stored.messageSentAt === undefined && stored.request !== undefined) {
      const messageId = await send();
      return { kind: 'existing', job: (await markSent(messageId)) ?? stored, messageId };
    }
    return { kind: 'existing', job: stored };
  }

  const messageId = await send();
  return { kind: 'submitted', job: (await markSent(messageId)) ?? toJobView(item), messageId };

  async function send(): Promise<string> {
    try {
      const output = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...encoded }), {
        abortSignal: options.signal,
      });
      return output.MessageId ?? '';
    } catch (error) {
      throw new SubmitSendError(request.jobId, error);
    }
  }

  async function markSent(messageId: string): Promise<JobView | undefined> {
    return markMessageSent(deps, tableName, request.jobId, messageId, clock(), options);
  }
}

/**
 * Records that the job's message went out. Advisory: if this write is lost the job still runs, and
 * only `jobs status` shows "message not confirmed" (a resubmit then sends a harmless duplicate).
 */
async function markMessageSent(
  deps: ImageJobsDeps,
  tableName: string,
  jobId: string,
  messageId: string,
  now: number,
  call: CallOptions,
): Promise<JobView | undefined> {
  try {
    const output = await deps.ddb.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [KEY_ATTRIBUTE]: jobId },
        UpdateExpression: 'SET messageSentAt = :now, messageId = :id',
        ConditionExpression: `attribute_exists(${KEY_ATTRIBUTE})`,
        ExpressionAttributeValues: { ':now': now, ':id': messageId },
        ReturnValues: 'ALL_NEW',
      }),
      { abortSignal: call.signal },
    );
    return output.Attributes === undefined ? undefined : toJobView(output.Attributes);
  } catch {
    return undefined;
  }
}

/** Submits many jobs; one bad job never fails its neighbours. Results are in input order. */
export async function submitImageJobs(
  deps: ImageJobsDeps,
  jobs: readonly ImageJobRequested[],
  options: SubmitOptions & { concurrency?: number; onResult?: (result: BatchItemResult) => void },
): Promise<BatchItemResult[]> {
  const concurrency = options.concurrency ?? DEFAULT_BATCH_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new InvalidOptionError(`concurrency must be an integer between 1 and 64, received ${concurrency}`);
  }
  const results: BatchItemResult[] = new Array<BatchItemResult>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index] as ImageJobRequested;
      const jobId = typeof job?.jobId === 'string' ? job.jobId : `#${index}`;
      let result: BatchItemResult;
      try {
        result = { jobId, ok: true, result: await submitImageJob(deps, job, options) };
      } catch (error) {
        result = { jobId, ok: false, error: error instanceof Error ? error : new Error(String(error)) };
      }
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}

/**
 * Sends a QUEUED job's stored request again: the repair for a submit that wrote its record but
 * crashed before (or while) sending. Safe to repeat: a duplicate message is absorbed by the ledger.
 */
export async function resubmitImageJob(
  deps: ImageJobsDeps,
  jobId: string,
  options: SubmitOptions,
): Promise<{ job: JobView; messageId: string }> {
  const sqs = required(deps.sqs, 'deps.sqs');
  const queueUrl = required(options.queueUrl, 'options.queueUrl');
  const tableName = required(options.tableName, 'options.tableName');
  const item = await getItem(deps, tableName, jobId, options);
  if (item === undefined) throw new JobNotFoundError(jobId, tableName);
  const job = toJobView(item);
  if (job.state !== 'QUEUED') {
    const why: Record<string, string> = {
      PROCESSING: 'a worker holds it; it needs no message',
      COMPLETED: 'it is done',
      FAILED: 'its message is in the DLQ: `jobs dlq redrive` sends it back',
      DEAD_LETTERED: 'it can never succeed as submitted: fix the request and submit it under a new job id',
      CANCELLED: 'a cancelled job can be submitted again only under a new job id',
    };
    throw new JobNotResubmittableError(jobId, job.state, why[job.state] ?? 'only QUEUED jobs are re-sent');
  }
  if (job.request === undefined) {
    throw new JobNotResubmittableError(
      jobId,
      job.state,
      'no request is stored (its producer spoke only SQS): send the original message again',
    );
  }
  const encoded = encodeMessage('image.job.requested', job.request);
  let messageId: string;
  try {
    messageId =
      (
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...encoded }), {
          abortSignal: options.signal,
        })
      ).MessageId ?? '';
  } catch (error) {
    throw new SubmitSendError(jobId, error);
  }
  const clock = deps.clock ?? Date.now;
  return {
    job: (await markMessageSent(deps, tableName, jobId, messageId, clock(), options)) ?? job,
    messageId,
  };
}
