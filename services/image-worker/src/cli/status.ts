import { writeFile } from 'node:fs/promises';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { getJob, type JobView } from '@platform/image-jobs';
import type { CliEnvironment } from './environment.ts';
import { CliError, EXIT, type Output } from './output.ts';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

// A QUEUED job whose message went out longer ago than this is worth a look (no worker running?).
const STALE_QUEUED_MS = 15 * 60 * 1000;

/** One line that says what to do about the job, or undefined when nothing is needed. */
export function hintFor(job: JobView, now: number): string | undefined {
  switch (job.state) {
    case 'QUEUED':
      if (job.request !== undefined && job.messageSentAt === undefined)
        return `its message was never confirmed sent (the submit failed or crashed after recording it): npm run jobs -- resubmit ${job.jobId}`;
      if (job.messageSentAt !== undefined && now - job.messageSentAt > STALE_QUEUED_MS)
        return 'queued for a while: is a worker running? (`npm run jobs -- dlq list` if it keeps failing)';
      return undefined;
    case 'PROCESSING':
      return job.leaseExpiresAt !== undefined && job.leaseExpiresAt < now
        ? 'its lease ran out (the worker died or paused): the next delivery takes it over'
        : undefined;
    case 'COMPLETED':
      return `image: npm run jobs -- url ${job.jobId}   or   get ${job.jobId} -o out.${job.request?.format ?? 'png'}`;
    case 'FAILED':
      return job.lastError?.retryable === true
        ? 'gave up after transient errors; its message is in the DLQ: npm run jobs -- dlq redrive (runbook: docs/runbooks/dlq.md)'
        : 'failed permanently: fix the request and submit it under a new job id';
    case 'DEAD_LETTERED':
      return 'poison (can never succeed as sent); the DLQ keeps the message: npm run jobs -- dlq list';
    case 'CANCELLED':
      return 'cancelled; a cancelled job can be submitted again only under a new job id';
  }
}

/** The job as JSON a script reads: epoch-ms fields as ISO times. */
export function describeJob(job: JobView, now: number): Record<string, unknown> {
  return {
    jobId: job.jobId,
    state: job.state,
    attempts: job.attempts,
    queuedAt: iso(job.queuedAt),
    messageSentAt: iso(job.messageSentAt),
    startedAt: iso(job.startedAt),
    completedAt: iso(job.completedAt),
    failedAt: iso(job.failedAt),
    cancelledAt: iso(job.cancelledAt),
    cancelReason: job.cancelReason,
    updatedAt: iso(job.updatedAt),
    lastError: job.lastError,
    result: job.result,
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: iso(job.leaseExpiresAt),
    eventPending: job.eventPending || undefined,
    correlationId: job.correlationId,
    requestedBy: job.requestedBy,
    request: job.request,
    hint: hintFor(job, now),
  };
}

/** The same for a person: aligned `name  value` lines, empty fields left out. */
export function formatJob(job: JobView, now: number): string {
  const rows: Array<[string, string | undefined]> = [
    ['job', job.jobId],
    ['state', job.state],
    ['attempts', String(job.attempts)],
    ['queued', iso(job.queuedAt)],
    [
      'message',
      job.state === 'QUEUED' && job.request !== undefined && job.messageSentAt === undefined
        ? 'NOT SENT'
        : job.messageSentAt === undefined
          ? undefined
          : `sent ${iso(job.messageSentAt)}`,
    ],
    ['started', iso(job.startedAt)],
    ['completed', iso(job.completedAt)],
    ['failed', iso(job.failedAt)],
    [
      'cancelled',
      job.cancelledAt === undefined
        ? undefined
        : `${iso(job.cancelledAt) ?? ''} (${job.cancelReason ?? 'no reason given'})`,
    ],
    ['updated', iso(job.updatedAt)],
    [
      'lease',
      job.state === 'PROCESSING' && job.leaseOwner !== undefined
        ? `${job.leaseOwner} until ${iso(job.leaseExpiresAt) ?? '?'}`
        : undefined,
    ],
    [
      'last error',
      job.lastError === undefined
        ? undefined
        : `${job.lastError.code}${job.lastError.retryable ? ' (transient)' : ''}: ${job.lastError.message}`,
    ],
    [
      'result',
      job.result === undefined
        ? undefined
        : `${job.result.s3Uri}  ${job.result.contentType}  ${job.result.bytes} bytes  sha256 ${job.result.sha256}`,
    ],
    [
      'request',
      job.request === undefined
        ? undefined
        : `${job.request.template} ${job.request.width}x${job.request.height} ${job.request.format}`,
    ],
    ['correlation', job.correlationId],
    ['requested by', job.requestedBy],
    ['event', job.eventPending ? 'completion event not yet confirmed published' : undefined],
    ['hint', hintFor(job, now)],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([name, value]) => `${name.padEnd(12)} ${value}`)
    .join('\n');
}

export async function jobOf(env: CliEnvironment, jobId: string): Promise<JobView> {
  const job = await getJob(env.jobs.deps, jobId, env.jobs.target);
  if (job === undefined) {
    throw new CliError(
      `no ledger record for job ${jobId} in ${env.table}: never submitted through the library, or submitted with plain ` +
        'SQS and not picked up yet, or rejected as poison before its id could be read (see `npm run jobs -- dlq list`)',
      { exitCode: EXIT.notFound },
    );
  }
  return job;
}

export async function statusCommand(
  env: CliEnvironment,
  jobId: string,
  options: { json?: boolean },
  out: Output,
): Promise<void> {
  const job = await jobOf(env, jobId);
  if (options.json === true) out.json(describeJob(job, Date.now()));
  else out.line(formatJob(job, Date.now()));
}

export async function getCommand(
  env: CliEnvironment,
  jobId: string,
  file: string,
  out: Output,
): Promise<void> {
  const job = await jobOf(env, jobId);
  const result = job.result;
  if (job.state !== 'COMPLETED' || result === undefined) {
    throw new CliError(`job ${jobId} is ${job.state}, not COMPLETED: there is no image`, {
      exitCode: EXIT.notFound,
    });
  }
  let bytes: Uint8Array;
  try {
    const object = await env.clients.s3.send(
      new GetObjectCommand({ Bucket: result.bucket, Key: result.key }),
    );
    bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new CliError(`the ledger says ${result.s3Uri}, but the object is gone`, {
        exitCode: EXIT.notFound,
        cause: error,
      });
    }
    throw error;
  }
  await writeFile(file, bytes);
  out.line(`wrote ${bytes.byteLength} bytes (${result.contentType}) from ${result.s3Uri} to ${file}`);
}
