import { intInRange, readConfig, str, url } from '@platform/config';
import { ConfigError } from '@platform/errors';
import { consumerConfigSpec, readConsumerConfig, type ConsumerConfig } from '@platform/reliable-consumer';
import type { RenderLimits } from './render/limits.ts';
import { DEFAULT_RENDER_LIMITS } from './render/limits.ts';

/**
 * The image worker's environment. Defaults suit one pod of the production deployment; every bound
 * names its source. Read once, in main.ts.
 */
const spec = {
  IMAGE_JOBS_QUEUE_URL: url({ desc: 'The image-jobs queue' }),
  IMAGE_JOBS_DLQ_URL: url({ desc: 'Its dead-letter queue (poison messages are sent there at once)' }),
  IMAGE_JOBS_TABLE: str({ desc: 'The DynamoDB job ledger (partition key jobId)' }),
  ASSETS_BUCKET: str({ desc: 'Bucket for generated images' }),
  IMAGE_JOB_EVENTS_TOPIC_ARN: str({
    default: '',
    desc: 'SNS topic for image.job.completed / image.job.failed events; empty publishes none',
  }),
  ...consumerConfigSpec({
    concurrency: 4,
    visibilityTimeoutSeconds: 60,
    heartbeatIntervalSeconds: 20,
    leaseDurationMs: 60_000,
    shutdownGraceMs: 25_000,
    healthPort: 8081,
    backoffBaseSeconds: 2,
    backoffMaxSeconds: 300,
    ledgerRetentionDays: 30,
    // Once the hold empties (all 4 slots busy) the next receive asks for the prefetch: 10, a full
    // receive. A held message has spent an SQS receive even if released unrun, which is why the
    // image-jobs queue's maxReceiveCount is a backstop well above MAX_ATTEMPTS (aws-resources).
    receivePrefetch: 10,
    // Acks are deleted 10 at a time or 250 ms after the first: at a few jobs/s per process a shorter
    // linger rarely catches a neighbour. The ledger already says COMPLETED, so the wait delays nothing
    // a producer sees, and a crash inside it only causes a duplicate delivery (acked without work).
    deleteLingerMs: 250,
  }),
  MAX_ATTEMPTS: intInRange(
    1,
    1000,
  )({
    default: 3,
    desc: "Failed attempts (the ledger's count, not SQS receives) before a job is dead-lettered; at most the queue's maxReceiveCount",
  }),
  RENDER_THREADS: intInRange(
    1,
    64,
  )({ default: 2, desc: 'Render worker threads (CPU-bound; about one per core)' }),
  MAX_IMAGE_WIDTH: intInRange(16, 16_384)({ default: DEFAULT_RENDER_LIMITS.maxWidth }),
  MAX_IMAGE_HEIGHT: intInRange(16, 16_384)({ default: DEFAULT_RENDER_LIMITS.maxHeight }),
  MAX_IMAGE_PIXELS: intInRange(256, 268_435_456)({ default: DEFAULT_RENDER_LIMITS.maxPixels }),
  MAX_FRACTAL_ITERATIONS: intInRange(
    1,
    1_000_000_000,
  )({ default: DEFAULT_RENDER_LIMITS.maxFractalIterations }),
};

export interface ImageWorkerConfig extends ConsumerConfig {
  queueUrl: string;
  dlqUrl: string;
  table: string;
  bucket: string;
  /** The job events topic, or undefined: no events are published. */
  eventsTopicArn: string | undefined;
  /** Failed attempts before a job is given up (ledger failures, never SQS receives). */
  maxAttempts: number;
  renderThreads: number;
  limits: RenderLimits;
}

export function readImageWorkerConfig(env: NodeJS.ProcessEnv = process.env): ImageWorkerConfig {
  const c = readConfig(spec, env);
  const problems: string[] = [];
  for (const name of ['IMAGE_JOBS_TABLE', 'ASSETS_BUCKET'] as const) {
    if (c[name].trim() === '') problems.push(`${name}: required, but it is empty`);
  }
  const consumer = readConsumerConfig(c, problems);
  if (consumer.maxReceiveCount !== undefined && c.MAX_ATTEMPTS > consumer.maxReceiveCount) {
    problems.push(maxAttemptsProblem(c.MAX_ATTEMPTS, consumer.maxReceiveCount));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    queueUrl: c.IMAGE_JOBS_QUEUE_URL,
    dlqUrl: c.IMAGE_JOBS_DLQ_URL,
    table: c.IMAGE_JOBS_TABLE,
    bucket: c.ASSETS_BUCKET,
    eventsTopicArn:
      c.IMAGE_JOB_EVENTS_TOPIC_ARN.trim() === '' ? undefined : c.IMAGE_JOB_EVENTS_TOPIC_ARN.trim(),
    ...consumer,
    maxAttempts: c.MAX_ATTEMPTS,
    renderThreads: c.RENDER_THREADS,
    limits: {
      maxWidth: c.MAX_IMAGE_WIDTH,
      maxHeight: c.MAX_IMAGE_HEIGHT,
      maxPixels: c.MAX_IMAGE_PIXELS,
      maxFractalIterations: c.MAX_FRACTAL_ITERATIONS,
    },
  };
}

/** MAX_ATTEMPTS above the backstop: SQS would move a failing job to the DLQ before its last attempt. */
export function maxAttemptsProblem(maxAttempts: number, maxReceiveCount: number): string {
  return `MAX_ATTEMPTS: must not exceed the queue's maxReceiveCount (${maxReceiveCount}); SQS would dead-letter a job before its last attempt (received ${maxAttempts})`;
}
