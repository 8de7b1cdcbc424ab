import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  consumerOptionsFrom,
  createLeaseLedger,
  createReliableConsumer,
  type AttemptPresigner,
  type ConsumerLogger,
  type LeaseLedger,
  type OutcomeEvent,
  type ReliableConsumer,
} from '@platform/reliable-consumer';
import type { Metrics } from '@platform/telemetry';
import { ConfigError } from '@platform/errors';
import { maxAttemptsProblem, type ImageWorkerConfig } from './config.ts';
import { createJobEventPublisher } from './events/jobEvents.ts';
import { recordContractPoison } from './jobs/contractPoison.ts';
import { createImageJobHandler, IMAGE_JOB_CONTRACT } from './jobs/handler.ts';
import { createRenderPool, type RenderPool } from './render/RenderPool.ts';

export interface ImageWorkerDeps {
  sqs: Pick<SQSClient, 'send'>;
  s3: Pick<S3Client, 'send'>;
  /** Signs upload attempts to expire with the lease: `createAttemptPresigner(s3Client)`. */
  uploadSigner: AttemptPresigner;
  documentClient: Pick<DynamoDBDocumentClient, 'send'>;
  /** Publishes job events when the config names a topic (IMAGE_JOB_EVENTS_TOPIC_ARN). */
  sns?: Pick<SNSClient, 'send'>;
  logger: ConsumerLogger;
  metrics: Metrics;
  /** Epoch ms; shared by the ledger (lease expiry) and the consumer. Injected by lease-loss tests. */
  clock?: () => number;
  /** [0, 1) for backoff jitter. */
  random?: () => number;
  /** Also told every settled message (tests pass an OutcomeSpy's `record`). */
  onOutcome?: (event: OutcomeEvent) => void;
}

export type ResolvedWorkerConfig = ImageWorkerConfig & { maxReceiveCount: number };

export interface ImageWorker {
  /** This process's lease owner id. */
  readonly owner: string;
  readonly consumer: ReliableConsumer;
  readonly ledger: LeaseLedger;
  readonly pool: RenderPool;
  start(): void;
  /** Ready while polling: started, not stopping, and the last receive is recent. */
  isReady(): boolean;
  /** Stops polling and drains or releases in-flight jobs (the consumer's stop), then the render threads. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Frees the render threads (after the consumer stopped). */
  close(): Promise<void>;
}

/**
 * Wires one image worker: lease ledger, render pool, job handler and reliable consumer. No client is
 * created here (main.ts does that), so tests run the same wiring in-process with their own clock.
 */
export function createImageWorker(deps: ImageWorkerDeps, config: ResolvedWorkerConfig): ImageWorker {
  if (config.maxAttempts > config.maxReceiveCount) {
    throw new ConfigError([maxAttemptsProblem(config.maxAttempts, config.maxReceiveCount)]);
  }
  const clock = deps.clock ?? Date.now;
  const owner = `${config.workerId ?? hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const ledger = createLeaseLedger(
    { ddb: deps.documentClient, clock },
    {
      tableName: config.table,
      keyName: 'jobId',
      leaseDurationMs: config.leaseDurationMs,
      retentionMs: config.ledgerRetentionMs,
      ttlAttribute: 'expiresAt',
      // The completion markers' removal (annotateLater) waits as long as the message deletes do:
      // both are bookkeeping after the job's outcome is recorded.
      annotationLingerMs: config.deleteLingerMs,
    },
  );
  const pool = createRenderPool({ metrics: deps.metrics }, { threads: config.renderThreads });
  const jobHandler = createImageJobHandler(
    {
      ledger,
      s3: deps.s3,
      uploadSigner: deps.uploadSigner,
      pool,
      metrics: deps.metrics,
      clock,
      ...(config.eventsTopicArn === undefined || deps.sns === undefined
        ? {}
        : {
            events: createJobEventPublisher(
              { sns: deps.sns },
              // Completion events wait for neighbours as long as the deletes do (see annotationLingerMs).
              { topicArn: config.eventsTopicArn, lingerMs: config.deleteLingerMs },
            ),
          }),
    },
    {
      bucket: config.bucket,
      owner,
      limits: config.limits,
      maxAttempts: config.maxAttempts,
      maxReceiveCount: config.maxReceiveCount,
    },
  );

  // Messages the handler saw; the rest were settled by the consumer itself (contract violations).
  const reachedHandler = new Set<string>();
  const onOutcome = (event: OutcomeEvent): void => {
    deps.onOutcome?.(event);
    const handled = reachedHandler.delete(event.messageId);
    if (!handled && event.kind === 'dead-letter') {
      deps.metrics.count('JobsDeadLettered', 1, { Template: 'unknown' });
    }
    // One EMF document per settled message: metrics reach CloudWatch with the job, not 10 s later.
    deps.metrics.flush().catch((error: unknown) => deps.logger.warn({ err: error }, 'metrics flush failed'));
  };

  const consumer = createReliableConsumer(
    {
      sqs: deps.sqs,
      logger: deps.logger,
      // No consumer-level metric names: the handler counts every outcome itself, with the Template dimension.
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
    },
    {
      queueUrl: config.queueUrl,
      dlqUrl: config.dlqUrl,
      name: 'image-worker',
      contracts: [IMAGE_JOB_CONTRACT],
      ...consumerOptionsFrom(config),
      // On the consumer's per-message logger, so its own lines (heartbeats, `message settled`) carry them too.
      logBindings: ({ payload }) => ({ jobId: payload.jobId, template: payload.template }),
      handler: async (ctx) => {
        reachedHandler.add(ctx.message.MessageId ?? '');
        return jobHandler(ctx);
      },
      // A message that fails its contract never reaches the handler; its job id may still be readable.
      onPoison: recordContractPoison({ ledger, logger: deps.logger, clock }),
      onOutcome,
    },
  );

  // A poll older than the long-poll wait plus a margin means the loop is stuck: not ready.
  const staleAfterMs = (config.waitTimeSeconds + 30) * 1000;
  return {
    owner,
    consumer,
    ledger,
    pool,
    start: () => consumer.start(),
    isReady() {
      if (!consumer.isRunning()) return false;
      const last = consumer.lastPollAt;
      return last === undefined || clock() - last < staleAfterMs;
    },
    async stop(options) {
      await consumer.stop(options);
      // The handlers are done: their queued marker removals go out now rather than after the linger.
      await ledger.flushAnnotations();
    },
    close: () => pool.close(),
  };
}
