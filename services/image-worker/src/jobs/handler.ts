import type { S3Client } from '@aws-sdk/client-s3';
import type { ImageJobRequestedV1 } from '@platform/contracts';
import { classifyError, PermanentError } from '@platform/errors';
import {
  HandlerAbortedError,
  LeaseLostError,
  putObjectOnce,
  type AcquireResult,
  type HandlerContext,
  type HandlerOutcome,
  type Lease,
  type LeaseLedger,
  type MessageHandler,
} from '@platform/reliable-consumer';
import type { Metrics } from '@platform/telemetry';
import { InjectedTransientFault } from '../errors.ts';
import type { RenderLimits } from '../render/limits.ts';
import type { RenderPool, RenderResult } from '../render/RenderPool.ts';
import { prepareRenderSpec, RENDERER_VERSION, type RenderSpec } from '../render/spec.ts';
import { availableTemplates, FAULT_INJECTION_TEMPLATE } from '../render/templates/index.ts';
import { LeaseKeeper } from './leaseKeeper.ts';
import { outputKeyFor, s3UriFor } from './outputKey.ts';
import { inChildSpan } from './spans.ts';

export const IMAGE_JOB_CONTRACT = 'image.job.requested';
type JobContext = HandlerContext<typeof IMAGE_JOB_CONTRACT>;
type Log = JobContext['log'];

export interface ImageJobHandlerDeps {
  ledger: LeaseLedger;
  s3: S3Client;
  pool: RenderPool;
  metrics: Pick<Metrics, 'count' | 'record'>;
  /** Epoch ms. */
  clock?: () => number;
}

export interface ImageJobHandlerOptions {
  bucket: string;
  /** Lease owner: unique per process (pod name + pid + random), so a restarted pod is a new owner. */
  owner: string;
  limits: RenderLimits;
  /** The queue's RedrivePolicy maxReceiveCount: on that receive a failing job is marked FAILED. */
  maxReceiveCount: number;
  /** Enables the test-only fault-injection template (tests and the chaos run). */
  faultInjection: boolean;
}

/** What a finished job stores in the ledger beside status, attempts and timestamps. */
export interface JobMetadata {
  jobId: string;
  processedAt: string;
  s3Uri: string;
  bucket: string;
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
  durationMs: number;
  renderMs: number;
  template: string;
  width: number;
  height: number;
  format: string;
  rendererVersion: string;
  processedBy: string;
  /** `already-present`: a previous attempt uploaded, then died before this write. */
  upload: 'uploaded' | 'already-present';
}

/**
 * The image job handler: ledger acquire -> render (in a thread, abortable) -> upload once ->
 * ledger COMPLETED (conditional on owner + fencing version) -> ack (the consumer deletes).
 *
 * - COMPLETED already: a duplicate; acknowledged without work.
 * - Lease live elsewhere: deferred for the lease's remaining time, neither processed nor deleted.
 * - Lease lost mid-job (renewal refused): the consumer aborts the signal, the render thread is
 *   terminated, nothing is uploaded or completed.
 * - Permanent failure (bad spec, conflicting object): dead-lettered at once with the reason.
 * - Transient failure: lease released, retried with backoff; on the last receive the ledger is
 *   marked FAILED with the error before SQS moves the message to the DLQ.
 */
export function createImageJobHandler(
  deps: ImageJobHandlerDeps,
  options: ImageJobHandlerOptions,
): MessageHandler<typeof IMAGE_JOB_CONTRACT> {
  const clock = deps.clock ?? Date.now;
  const { ledger, metrics, pool, s3 } = deps;
  const templates: ReadonlySet<string> = new Set(availableTemplates(options));

  return async (ctx) => {
    const job: ImageJobRequestedV1 = ctx.payload;
    // Metric dimensions stay bounded: a producer's typo must not mint a new CloudWatch series.
    const dims = { Template: templates.has(job.template) ? job.template : 'unknown' };
    // jobId and template are already bound on ctx.log (the consumer's logBindings, see worker.ts).
    const log = ctx.log;
    ctx.span.setAttributes({
      'image.job_id': job.jobId,
      'image.template': job.template,
      'image.format': job.format,
      'image.width': job.width,
      'image.height': job.height,
    });
    metrics.record('QueueWaitMs', Math.max(0, clock() - ctx.sentAt), dims);

    // A job that can never render is poison: dead-letter it before spending a lease on it. It is
    // not marked in the ledger, so once the cause is fixed (a template deployed, a limit raised)
    // a redrive from the DLQ processes it normally.
    let spec: RenderSpec;
    try {
      spec = prepareRenderSpec(job, options.limits, options);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      metrics.count('JobsDeadLettered', 1, dims);
      log.warn({ err: error, code: error.code }, 'job rejected as poison; dead-lettering');
      return { kind: 'dead-letter', reason: error.code, detail: error.message };
    }

    let acquired: AcquireResult;
    try {
      acquired = await inChildSpan(ctx.span, 'ledger.acquire', { 'image.job_id': job.jobId }, () =>
        ledger.acquire(job.jobId, options.owner, {
          signal: ctx.signal,
          attributes: {
            template: job.template,
            format: job.format,
            width: job.width,
            height: job.height,
            requestedAt: job.requestedAt,
            requestedBy: job.requestedBy,
            correlationId: job.correlationId,
          },
        }),
      );
    } catch (error) {
      // DynamoDB throttled or unreachable: nothing was done, the consumer retries with backoff.
      if (!ctx.signal.aborted) metrics.count('JobsRetried', 1, dims);
      log.warn({ err: error }, 'could not acquire the job lease; will retry');
      throw error;
    }
    switch (acquired.kind) {
      case 'completed':
        metrics.count('DuplicateDeliveries', 1, dims);
        log.info(
          { s3Uri: acquired.record.attributes.s3Uri },
          'job already completed; duplicate delivery acknowledged',
        );
        return { kind: 'ack' };
      case 'busy': {
        // Not ours to run and not ours to delete: come back when that lease would have run out.
        const delaySeconds = Math.max(1, Math.ceil(acquired.msUntilExpiry / 1000));
        log.info(
          { leaseOwner: acquired.record.leaseOwner, delaySeconds },
          'job leased by another worker; deferring',
        );
        return { kind: 'defer', delaySeconds };
      }
      case 'failed': {
        const lastError = acquired.record.lastError;
        metrics.count('JobsDeadLettered', 1, dims);
        log.warn({ lastError }, 'job failed permanently before; dead-lettering this delivery');
        return {
          kind: 'dead-letter',
          reason: lastError?.code ?? 'JOB_FAILED',
          detail: lastError?.message ?? 'the ledger marks this job FAILED (not retryable)',
        };
      }
      case 'acquired':
        break;
    }

    const lease = new LeaseKeeper(ledger, acquired.lease);
    const attempt = acquired.lease.attempts;
    const startedAt = clock();
    // The chaos run reads these two lines to prove no two workers ever held one job at once.
    log.info(
      { owner: options.owner, leaseVersion: acquired.lease.version, attempt, receiveCount: ctx.receiveCount },
      'job lease acquired',
    );
    ctx.onHeartbeat(() => lease.renew(ctx.signal));

    try {
      const metadata = await runJob(ctx, spec, lease, { attempt, startedAt, log, dims });
      metrics.count('JobsSucceeded', 1, dims);
      metrics.record('JobDurationMs', metadata.durationMs, dims);
      metrics.record('OutputBytes', metadata.bytes, dims);
      log.info({ ...metadata, owner: options.owner, outcome: 'completed' }, 'job attempt ended');
      return { kind: 'ack' };
    } catch (error) {
      const outcome = await onFailure(ctx, error, lease, { log, dims });
      log.info({ owner: options.owner, outcome: outcome.kind }, 'job attempt ended');
      if (outcome.kind === 'rethrow') throw error;
      return outcome;
    }
  };

  async function runJob(
    ctx: JobContext,
    spec: RenderSpec,
    lease: LeaseKeeper,
    run: { attempt: number; startedAt: number; log: Log; dims: { Template: string } },
  ): Promise<JobMetadata> {
    const job = ctx.payload;
    // Counted in ledger attempts (acquisitions), not SQS receives, so it survives a DLQ redrive.
    if (spec.template === FAULT_INJECTION_TEMPLATE && run.attempt <= spec.params.failAttempts) {
      throw new InjectedTransientFault(run.attempt, spec.params.failAttempts);
    }

    const image: RenderResult = await inChildSpan(
      ctx.span,
      'render',
      { 'image.template': spec.template },
      async (span) => {
        const result = await pool.render(spec, { signal: ctx.signal });
        span.setAttributes({
          'image.bytes': result.bytes.byteLength,
          'image.draw_ms': result.drawMs,
          'image.encode_ms': result.encodeMs,
        });
        return result;
      },
    );
    metrics.record('RenderMs', image.renderMs, run.dims);
    // Checked between every step: once the lease is lost (or shutdown ran out of time), no side effect may follow.
    ctx.signal.throwIfAborted();

    const key = outputKeyFor(job.jobId, job.format);
    const upload = await inChildSpan(
      ctx.span,
      'upload',
      { 's3.bucket': options.bucket, 's3.key': key },
      async (span) => {
        const put = await putObjectOnce(
          s3,
          {
            Bucket: options.bucket,
            Key: key,
            Body: image.bytes,
            ContentType: image.contentType,
            Metadata: { 'job-id': job.jobId, template: job.template, 'renderer-version': RENDERER_VERSION },
          },
          // Only a previous attempt can have left an object (uploaded, then died before the ledger
          // write): look first on retries, sparing the bytes when it is ours (rendering is
          // deterministic); a first attempt skips the extra HEAD.
          { signal: ctx.signal, headFirst: run.attempt > 1 },
        );
        span.setAttribute('image.upload', put.kind);
        return put.kind;
      },
    );
    ctx.signal.throwIfAborted();

    const finalLease: Lease = await lease.finish();
    const completedAt = clock();
    const metadata: JobMetadata = {
      jobId: job.jobId,
      processedAt: new Date(completedAt).toISOString(),
      s3Uri: s3UriFor(options.bucket, key),
      bucket: options.bucket,
      key,
      contentType: image.contentType,
      bytes: image.bytes.byteLength,
      sha256: image.sha256,
      durationMs: completedAt - run.startedAt,
      renderMs: Math.round(image.renderMs),
      template: job.template,
      width: job.width,
      height: job.height,
      format: job.format,
      rendererVersion: RENDERER_VERSION,
      processedBy: options.owner,
      upload,
    };
    const { jobId: _key, ...attributes } = metadata;
    await inChildSpan(ctx.span, 'ledger.complete', { 'image.job_id': job.jobId }, () =>
      ledger.complete(finalLease, attributes, { signal: ctx.signal }),
    );
    return metadata;
  }

  /**
   * Decides what a failed attempt means. Returns `rethrow` when the consumer must see the error
   * itself: an aborted handler (lease lost, shutdown) is settled by the consumer (abandoned or
   * released), which only it can tell apart.
   */
  async function onFailure(
    ctx: JobContext,
    error: unknown,
    lease: LeaseKeeper,
    run: { log: Log; dims: { Template: string } },
  ): Promise<HandlerOutcome | { kind: 'rethrow' }> {
    const { log, dims } = run;
    const abortReason: unknown = ctx.signal.aborted ? ctx.signal.reason : undefined;
    const leaseLost =
      error instanceof LeaseLostError ||
      (abortReason instanceof HandlerAbortedError && abortReason.cause instanceof LeaseLostError);

    if (leaseLost) {
      // Another worker may hold the job now: touch nothing (no upload happened, no ledger write may).
      metrics.count('LeaseLost', 1, dims);
      log.warn({ err: error }, 'lease lost; abandoning the job without side effects');
      return ctx.signal.aborted ? { kind: 'rethrow' } : { kind: 'retry', reason: 'LEASE_LOST' };
    }
    if (abortReason instanceof HandlerAbortedError) {
      // Shutdown past its deadline, or the message's visibility could not be extended: the lease
      // is still ours, so hand it back and let the next delivery start at once.
      await releaseQuietly(ctx, lease, log);
      log.warn({ reason: abortReason.reason }, 'job aborted; lease released');
      return { kind: 'rethrow' };
    }

    const classified = classifyError(error);
    if (classified.kind === 'permanent') {
      // e.g. ObjectConflictError: a different image already under this job's key. Retrying cannot help.
      await failQuietly(ctx, lease, error, false, log);
      metrics.count('JobsFailed', 1, dims);
      metrics.count('JobsDeadLettered', 1, dims);
      log.error({ err: error, code: classified.code }, 'job failed permanently; dead-lettering');
      return { kind: 'dead-letter', reason: classified.code, detail: classified.message };
    }

    metrics.count('JobsRetried', 1, dims);
    if (ctx.receiveCount >= options.maxReceiveCount) {
      // SQS moves the message to the DLQ instead of delivering it again: record why, for the runbook.
      // Marked retryable, so a redrive from the DLQ can acquire and run the job again.
      await failQuietly(ctx, lease, error, true, log);
      metrics.count('JobsFailed', 1, dims);
      log.error(
        {
          err: error,
          code: classified.code,
          receiveCount: ctx.receiveCount,
          maxReceiveCount: options.maxReceiveCount,
        },
        'job failed on its last receive; ledger FAILED, SQS moves it to the DLQ',
      );
    } else {
      // Hand the lease back so the retry (after the backoff) can acquire at once instead of deferring.
      await releaseQuietly(ctx, lease, log);
      log.warn(
        { err: error, code: classified.code, receiveCount: ctx.receiveCount },
        'job failed transiently; will retry',
      );
    }
    return { kind: 'retry', reason: classified.code };
  }

  async function releaseQuietly(ctx: JobContext, lease: LeaseKeeper, log: Log): Promise<void> {
    try {
      const current = await lease.finish();
      // A fresh deadline: the handler's own signal may be the one that was aborted.
      await inChildSpan(ctx.span, 'ledger.release', { 'image.job_id': current.key }, () =>
        ledger.release(current, { signal: AbortSignal.timeout(5_000) }),
      );
    } catch (error) {
      // The lease then simply expires; the next delivery defers until it does.
      log.warn({ err: error }, 'could not release the lease; it will expire');
    }
  }

  async function failQuietly(
    ctx: JobContext,
    lease: LeaseKeeper,
    error: unknown,
    retryable: boolean,
    log: Log,
  ): Promise<void> {
    try {
      const current = await lease.finish();
      await inChildSpan(ctx.span, 'ledger.fail', { 'image.job_id': current.key }, () =>
        ledger.fail(current, { error, retryable }, { signal: AbortSignal.timeout(5_000) }),
      );
    } catch (failError) {
      log.warn({ err: failError }, 'could not mark the job FAILED in the ledger');
    }
  }
}
