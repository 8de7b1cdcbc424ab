import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ImageJobRequestedV1 } from '@platform/contracts';
import { classifyError, PermanentError } from '@platform/errors';
import { attentionIndexKeys } from '@platform/image-jobs';
import {
  LeaseLostError,
  MIN_SIGNED_WINDOW_MS,
  putObjectOnce,
  withLease,
  type HandlerOutcome,
  type LeaseRecord,
  type HandlerContext,
  type HeldLease,
  type LeaseEvent,
  type LeaseLedger,
  type MessageHandler,
  type AttemptPresigner,
} from '@platform/reliable-consumer';
import type { Metrics } from '@platform/telemetry';
import { completedEventOf, failedEventOf, type JobEventPublisher } from '../events/jobEvents.ts';
import type { RenderLimits } from '../render/limits.ts';
import type { RenderPool, RenderResult } from '../render/RenderPool.ts';
import { prepareRenderSpec, RENDERER_VERSION, type RenderSpec } from '../render/spec.ts';
import { availableTemplates, findTemplate } from '../render/templates/index.ts';
import { outputKeyFor, s3UriFor } from './outputKey.ts';
import { inChildSpan } from './spans.ts';

export const IMAGE_JOB_CONTRACT = 'image.job.requested';
/** One year (the longest max-age HTTP caches honour in practice) and never revalidated. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
type JobContext = HandlerContext<typeof IMAGE_JOB_CONTRACT>;

export interface ImageJobHandlerDeps {
  ledger: LeaseLedger;
  s3: Pick<S3Client, 'send'>;
  /**
   * Signs each upload attempt to expire with the lease (createAttemptPresigner over the same
   * client): S3 itself then refuses an upload sent by a holder that was paused past its lease.
   */
  uploadSigner: AttemptPresigner;
  pool: RenderPool;
  metrics: Pick<Metrics, 'count' | 'record'>;
  /** Publishes image.job.completed / image.job.failed; without it no events are published. */
  events?: JobEventPublisher;
  /** Epoch ms. */
  clock?: () => number;
}

export interface ImageJobHandlerOptions {
  bucket: string;
  /** Lease owner: unique per process (pod name + pid + random), so a restarted pod is a new owner. */
  owner: string;
  limits: RenderLimits;
  /** Failed attempts (ledger failures, not receives) before a job is given up and dead-lettered. */
  maxAttempts: number;
  /** The queue's RedrivePolicy maxReceiveCount (a higher backstop): its last receive ends in a ledger verdict. */
  maxReceiveCount: number;
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
 * The lease lifecycle and the failure policy are the shared `withLease` (reliable-consumer README,
 * "Failure policy"); this module supplies the work and counts metrics from its events:
 * - COMPLETED already: a duplicate; acknowledged without work.
 * - Lease live elsewhere: deferred for the lease's remaining time, neither processed nor deleted.
 * - Lease lost mid-job (renewal refused, or the local lease deadline passed, e.g. after a pause):
 *   the render thread is terminated, nothing is uploaded or completed.
 * - Permanent failure (bad spec, conflicting object): dead-lettered at once with the reason.
 * - Transient failure: FAILED (retryable) and retried with backoff; after maxAttempts failures
 *   FAILED with ATTEMPTS_EXHAUSTED and dead-lettered by the worker itself (still retryable, so a
 *   DLQ redrive runs it again).
 */
export function createImageJobHandler(
  deps: ImageJobHandlerDeps,
  options: ImageJobHandlerOptions,
): MessageHandler<typeof IMAGE_JOB_CONTRACT> {
  const clock = deps.clock ?? Date.now;
  const { ledger, metrics, pool, s3 } = deps;
  const templates: ReadonlySet<string> = new Set(availableTemplates());

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

    // A job that can never render is poison: dead-letter it before spending a lease on it, and
    // record DEAD_LETTERED with the reason (never over a live lease, a result or a cancel). The DLQ
    // keeps the message and DEAD_LETTERED stays acquirable, so once the cause is fixed (a template
    // deployed, a limit raised) a redrive from the DLQ processes it normally.
    let spec: RenderSpec;
    try {
      spec = prepareRenderSpec(job, options.limits);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      log.warn({ err: error, code: error.code }, 'job rejected as poison; dead-lettering');
      return deadLetterPoison(ctx, job, error, dims);
    }

    const startedAt = clock();
    const observe = (event: LeaseEvent): void => {
      switch (event.kind) {
        case 'acquired':
          // The chaos run reads this line and "job attempt ended" to prove no two workers ever held one job at once.
          log.info(
            {
              owner: options.owner,
              leaseVersion: event.lease.version,
              attempt: event.lease.attempts,
              receiveCount: ctx.receiveCount,
            },
            'job lease acquired',
          );
          return;
        case 'duplicate':
          metrics.count('DuplicateDeliveries', 1, dims);
          return;
        case 'already-failed':
          // An earlier attempt's verdict: this delivery is dead-lettered without work.
          metrics.count('JobsDeadLettered', 1, dims);
          return;
        case 'failed-permanently':
          metrics.count('JobsFailed', 1, dims);
          metrics.count('JobsDeadLettered', 1, dims);
          log.info({ owner: options.owner, outcome: 'failed' }, 'job attempt ended');
          return;
        case 'retrying':
          metrics.count('JobsRetried', 1, dims);
          log.info({ owner: options.owner, outcome: 'retry' }, 'job attempt ended');
          return;
        case 'exhausted':
          metrics.count('JobsRetried', 1, dims);
          metrics.count('JobsFailed', 1, dims);
          metrics.count('JobsDeadLettered', 1, dims);
          log.info({ owner: options.owner, outcome: 'exhausted' }, 'job attempt ended');
          return;
        case 'lease-lost':
          metrics.count('LeaseLost', 1, dims);
          log.info({ owner: options.owner, outcome: 'lease-lost' }, 'job attempt ended');
          return;
        case 'released':
          log.info({ owner: options.owner, outcome: 'released' }, 'job attempt ended');
          return;
        case 'busy':
        case 'completed':
          return;
      }
    };

    // Set when this attempt's upload happened: a cancel that then wins the race against the
    // COMPLETED write must not leave the object behind.
    let uploadedKey: string | undefined;
    let cancelledUnderUs = false;
    const observeAll = (event: LeaseEvent): void => {
      if (event.kind === 'cancelled') cancelledUnderUs = true;
      observe(event);
    };

    try {
      return await withLease(
        ctx,
        // No span of our own per ledger call: each is one DynamoDB call, whose SDK span is already a
        // child of the job's process span.
        ledger,
        {
          subject: 'job',
          key: job.jobId,
          owner: options.owner,
          policy: {
            maxAttempts: options.maxAttempts,
            maxReceiveCount: options.maxReceiveCount,
            // A given-up job stays acquirable, so a redrive from the DLQ runs it again (its output
            // key is a pure function of the job id: a rerun can never duplicate an object).
            exhaustedRetryable: true,
          },
          attributes: {
            template: job.template,
            format: job.format,
            width: job.width,
            height: job.height,
            requestedAt: job.requestedAt,
            requestedBy: job.requestedBy,
            correlationId: job.correlationId,
          },
          observe: observeAll,
          // FAILED for good (permanent, or given up) enters the sparse "needs a person" index.
          finalFailureFields: () => attentionIndexKeys('FAILED', clock(), job.jobId),
          onCancelled: async () => {
            metrics.count('JobsCancelled', 1, dims);
            return { kind: 'ack' };
          },
          // A duplicate delivery of a COMPLETED job whose event was never confirmed published (a
          // crash between the ledger write and the publish): publish it now. Else nothing to do.
          onCompleted: async (record) =>
            record.attributes.eventPending === true ? publishCompleted(ctx, record) : { kind: 'ack' },
          onFailed: async (record) => {
            await publishFailed(ctx, record, 'FAILED');
            deadLetteredBy(record.lastError?.code ?? 'FAILED');
            return deadLetterOutcome(record);
          },
          onExhausted: async (record, reason) => {
            await publishFailed(ctx, record, 'FAILED');
            deadLetteredBy(reason);
            return { kind: 'dead-letter', reason, detail: record.lastError?.message ?? reason };
          },
        },
        async (held) => {
          let metadata: JobMetadata;
          try {
            metadata = await runJob(ctx, spec, held, {
              startedAt,
              dims,
              onUploaded: (key) => (uploadedKey = key),
            });
          } catch (error) {
            if (error instanceof LeaseLostError || classifyError(error).kind !== 'permanent') throw error;
            // e.g. ObjectConflictError: a different image already under this job's key.
            return {
              kind: 'failed',
              error,
              retryable: false,
              after: async (record) => {
                await publishFailed(ctx, record, 'FAILED');
                deadLetteredBy(record.lastError?.code ?? 'FAILED');
                return deadLetterOutcome(record);
              },
            };
          }
          const { jobId: _key, ...attributes } = metadata;
          return {
            kind: 'completed',
            // Set in the same conditional write as COMPLETED, cleared after the publish: a crash in
            // between leaves it set, and the redelivery (which finds COMPLETED) publishes then.
            attributes: deps.events === undefined ? attributes : { ...attributes, eventPending: true },
            after: async (record) => {
              metrics.count('JobsSucceeded', 1, dims);
              metrics.record('JobDurationMs', metadata.durationMs, dims);
              metrics.record('OutputBytes', metadata.bytes, dims);
              const queuedAt = record.attributes.queuedAt;
              if (typeof queuedAt === 'number')
                metrics.record(
                  'QueueToCompleteMs',
                  Math.max(0, (record.completedAt ?? clock()) - queuedAt),
                  dims,
                );
              // The full metadata is in the ledger (`jobs status`); the line keeps what a reader of
              // logs needs: every field costs serialising and redaction, on every job.
              log.info(
                {
                  owner: options.owner,
                  outcome: 'completed',
                  key: metadata.key,
                  bytes: metadata.bytes,
                  durationMs: metadata.durationMs,
                  renderMs: metadata.renderMs,
                  upload: metadata.upload,
                },
                'job attempt ended',
              );
              return deps.events === undefined ? { kind: 'ack' } : publishCompleted(ctx, record);
            },
          };
        },
      );
    } catch (error) {
      // The acquire itself failed (DynamoDB throttled or unreachable), or an abort the consumer settles.
      if (!ctx.signal.aborted) metrics.count('JobsRetried', 1, dims);
      throw error;
    } finally {
      if (cancelledUnderUs && uploadedKey !== undefined) await removeCancelledObject(ctx, uploadedKey);
    }
  };

  function deadLetteredBy(reason: string): void {
    metrics.count('JobsDeadLetteredByReason', 1, { Reason: reason });
  }

  function deadLetterOutcome(record: LeaseRecord): HandlerOutcome {
    return {
      kind: 'dead-letter',
      reason: record.lastError?.code ?? 'FAILED',
      detail: record.lastError?.message || 'the ledger marks this job FAILED (not retryable)',
    };
  }

  /** Poison: DEAD_LETTERED in the ledger (when allowed), a failure event, then the DLQ. */
  async function deadLetterPoison(
    ctx: JobContext,
    job: ImageJobRequestedV1,
    error: PermanentError,
    dims: { Template: string },
  ): Promise<HandlerOutcome> {
    metrics.count('JobsDeadLettered', 1, dims);
    deadLetteredBy(error.code);
    const outcome: HandlerOutcome = { kind: 'dead-letter', reason: error.code, detail: error.message };
    try {
      const marked = await ledger.markDeadLettered(
        job.jobId,
        {
          error,
          retryable: false,
          set: {
            ...attentionIndexKeys('DEAD_LETTERED', clock(), job.jobId),
            template: job.template,
            format: job.format,
            requestedAt: job.requestedAt,
            requestedBy: job.requestedBy,
            correlationId: job.correlationId,
          },
        },
        { signal: ctx.signal },
      );
      if (marked.kind === 'refused') {
        // Another message with this job id is running, done or cancelled: its record is not ours to touch.
        ctx.log.info(
          { status: marked.record?.status },
          'poison not recorded: the job id has a record in another state',
        );
        return outcome;
      }
      await publishFailed(ctx, marked.record, 'DEAD_LETTERED');
    } catch (writeError) {
      // The DLQ keeps the message either way; only the ledger's view is missing.
      ctx.log.warn({ err: writeError }, 'could not record DEAD_LETTERED in the ledger');
    }
    return outcome;
  }

  /**
   * The completion event and the marker's removal, neither waited for: the slot takes the next job
   * while they go out with other jobs' (one PublishBatch, then one TransactWriteItems, each after
   * its linger). The message is deleted only once both landed (`deleteAfter`), so neither a lost
   * event nor a marker behind a deleted message is possible: if the publish or the removal fails,
   * or the process dies meanwhile, the message reappears and its redelivery (which finds COMPLETED
   * with the marker) publishes again, a duplicate event that consumers dedupe on job id.
   */
  function publishCompleted(ctx: JobContext, record: LeaseRecord): HandlerOutcome {
    const events = deps.events;
    if (events === undefined) return { kind: 'ack' };
    const done = events.publishSoon(completedEventOf(record), ctx.span).then(async (published) => {
      if (!published.ok) {
        ctx.log.warn(
          { err: published.error },
          'completion event not published; the message is left for its redelivery to publish it',
        );
        return false;
      }
      // Debug only: "job attempt ended" (outcome completed) is the job's line; a failed publish warns.
      ctx.log.debug({ topicArn: events.topicArn }, 'completion event published');
      const cleared = await ledger.annotateLater(record.key, 'COMPLETED', { remove: ['eventPending'] });
      if (cleared.kind !== 'failed') return true;
      ctx.log.warn(
        { err: cleared.error },
        'completion event published but its marker not cleared; the message is left for redelivery',
      );
      return false;
    });
    return { kind: 'ack', deleteAfter: done };
  }

  /** Best effort: the verdict is in the ledger (and `jobs list`), and a redelivery would publish again. */
  async function publishFailed(
    ctx: JobContext,
    record: LeaseRecord,
    state: 'FAILED' | 'DEAD_LETTERED',
  ): Promise<void> {
    const events = deps.events;
    if (events === undefined) return;
    try {
      await events.publish('image.job.failed', failedEventOf(record, state, clock()), { signal: ctx.signal });
    } catch (error) {
      ctx.log.warn({ err: error }, 'failure event not published');
    }
  }

  /**
   * The cancel won the race against our COMPLETED write after the upload: remove the object (its
   * key is this job's alone, and a CANCELLED job never completes under its id), so a cancelled job
   * leaves nothing in S3.
   */
  async function removeCancelledObject(ctx: JobContext, key: string): Promise<void> {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }), {
        abortSignal: AbortSignal.timeout(5_000),
      });
      ctx.log.info({ key }, 'job cancelled after its upload; object removed');
    } catch (error) {
      ctx.log.warn({ err: error, key }, 'job cancelled after its upload; could not remove the object');
    }
  }

  async function runJob(
    ctx: JobContext,
    spec: RenderSpec,
    held: HeldLease,
    run: { startedAt: number; dims: { Template: string }; onUploaded: (key: string) => void },
  ): Promise<JobMetadata> {
    const job = ctx.payload;
    const attempt = held.attempt;
    // Only a test template has this hook (a flaky dependency); attempts are ledger acquisitions.
    findTemplate(spec.template)?.beforeAttempt?.(spec.params, attempt);

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
    // Before the side effect: once the lease is lost, its local deadline is (nearly) over, or
    // shutdown ran out of time, no upload may follow. A process paused past its lease stops here.
    held.assertLive('the upload');
    // A fenced write just before the side effect: a cancel (or a take-over) recorded since the last
    // heartbeat refuses it, so nothing is uploaded after a cancel is recorded.
    await held.update({ set: { uploadingAt: clock() } });

    const key = outputKeyFor(job.jobId, job.format);
    run.onUploaded(key);
    // The S3 PutObject (and HEAD) spans are the upload's; the outcome goes on the job's span.
    const put = await putObjectOnce(
      s3,
      {
        Bucket: options.bucket,
        Key: key,
        Body: image.bytes,
        ContentType: image.contentType,
        // The key is immutable per job id (one object per job, never overwritten): caches may keep it.
        CacheControl: IMMUTABLE_CACHE_CONTROL,
        Metadata: { 'job-id': job.jobId, template: job.template, 'renderer-version': RENDERER_VERSION },
      },
      // Only a previous attempt can have left an object (uploaded, then died before the ledger
      // write): look first on retries, sparing the bytes when it is ours (rendering is
      // deterministic); a first attempt skips the extra HEAD.
      // The lease is checked again before every attempt the SDK sends (its retries too), and each
      // attempt is signed to expire with the lease: a pause between that check and the socket write
      // (no check can close it) ends in S3 refusing the late PUT, never in an upload after the lease.
      {
        signal: ctx.signal,
        headFirst: attempt > 1,
        beforeEachAttempt: () => held.assertLive('the upload', MIN_SIGNED_WINDOW_MS),
        acceptedWithin: { presigner: deps.uploadSigner, remainingMs: () => held.remainingMs() },
        // Hashed by the render thread over these bytes; S3 verifies it on arrival.
        sha256: image.sha256,
      },
    );
    const upload = put.kind;
    ctx.span.setAttributes({ 'image.upload': upload, 's3.key': key });
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
    return metadata;
  }
}
