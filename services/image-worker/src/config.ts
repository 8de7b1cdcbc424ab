import { bool, intInRange, readConfig, str, url } from '@platform/config';
import { ConfigError } from '@platform/errors';
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
  WORKER_CONCURRENCY: intInRange(1, 1000)({ default: 4, desc: 'Jobs handled at once by one process' }),
  RENDER_THREADS: intInRange(
    1,
    64,
  )({ default: 2, desc: 'Render worker threads (CPU-bound; about one per core)' }),
  // 43200 s = 12 h, the SQS visibility maximum.
  VISIBILITY_TIMEOUT_SECONDS: intInRange(
    1,
    43_200,
  )({ default: 60, desc: 'Visibility set on receive and on each heartbeat' }),
  HEARTBEAT_INTERVAL_SECONDS: intInRange(
    1,
    43_199,
  )({ default: 20, desc: 'Seconds between heartbeats (< visibility)' }),
  LEASE_DURATION_MS: intInRange(
    1_000,
    43_200_000,
  )({ default: 60_000, desc: 'Ledger lease per acquire/renewal' }),
  MAX_RECEIVE_COUNT: intInRange(
    0,
    1000,
  )({
    default: 0,
    desc: "The queue's RedrivePolicy maxReceiveCount; 0 = read it from the queue at start-up",
  }),
  SHUTDOWN_GRACE_MS: intInRange(
    0,
    3_600_000,
  )({
    default: 25_000,
    desc: 'Drain time on SIGTERM (below the pod terminationGracePeriodSeconds, 30 s by default)',
  }),
  HEALTH_PORT: intInRange(0, 65_535)({ default: 8081, desc: '/healthz and /readyz; 0 = any free port' }),
  // SQS limits: 1-10 messages per receive, 0-20 s long poll.
  RECEIVE_BATCH_SIZE: intInRange(1, 10)({ default: 10 }),
  RECEIVE_WAIT_SECONDS: intInRange(0, 20)({ default: 20 }),
  BACKOFF_BASE_SECONDS: intInRange(1, 43_200)({ default: 2, desc: 'First retry delay cap' }),
  BACKOFF_MAX_SECONDS: intInRange(1, 43_200)({ default: 300, desc: 'Largest retry delay' }),
  LEDGER_RETENTION_DAYS: intInRange(
    1,
    3650,
  )({ default: 30, desc: 'TTL of finished ledger records (GC only)' }),
  MAX_IMAGE_WIDTH: intInRange(16, 16_384)({ default: DEFAULT_RENDER_LIMITS.maxWidth }),
  MAX_IMAGE_HEIGHT: intInRange(16, 16_384)({ default: DEFAULT_RENDER_LIMITS.maxHeight }),
  MAX_IMAGE_PIXELS: intInRange(256, 268_435_456)({ default: DEFAULT_RENDER_LIMITS.maxPixels }),
  MAX_FRACTAL_ITERATIONS: intInRange(
    1,
    1_000_000_000,
  )({ default: DEFAULT_RENDER_LIMITS.maxFractalIterations }),
  WORKER_ID: str({
    default: '',
    desc: 'Lease owner prefix; default the host name (the pod name on Kubernetes)',
  }),
  IMAGE_WORKER_FAULT_INJECTION: bool({
    default: false,
    desc: 'TEST ONLY: enables the test-transient-fault template',
  }),
};

export interface ImageWorkerConfig {
  queueUrl: string;
  dlqUrl: string;
  table: string;
  bucket: string;
  concurrency: number;
  renderThreads: number;
  visibilityTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  leaseDurationMs: number;
  /** undefined: read from the queue's RedrivePolicy at start-up. */
  maxReceiveCount: number | undefined;
  shutdownGraceMs: number;
  healthPort: number;
  batchSize: number;
  waitTimeSeconds: number;
  backoff: { baseSeconds: number; maxSeconds: number };
  ledgerRetentionMs: number;
  limits: RenderLimits;
  workerId: string | undefined;
  faultInjection: boolean;
}

export function readImageWorkerConfig(env: NodeJS.ProcessEnv = process.env): ImageWorkerConfig {
  const c = readConfig(spec, env);
  const problems: string[] = [];
  for (const name of ['IMAGE_JOBS_TABLE', 'ASSETS_BUCKET'] as const) {
    if (c[name].trim() === '') problems.push(`${name}: required, but it is empty`);
  }
  if (c.HEARTBEAT_INTERVAL_SECONDS >= c.VISIBILITY_TIMEOUT_SECONDS) {
    problems.push(
      `HEARTBEAT_INTERVAL_SECONDS: must be below VISIBILITY_TIMEOUT_SECONDS (${c.VISIBILITY_TIMEOUT_SECONDS}), or a message reappears between beats (received ${c.HEARTBEAT_INTERVAL_SECONDS})`,
    );
  }
  if (c.LEASE_DURATION_MS <= c.HEARTBEAT_INTERVAL_SECONDS * 1000) {
    problems.push(
      `LEASE_DURATION_MS: must exceed HEARTBEAT_INTERVAL_SECONDS x 1000 (${c.HEARTBEAT_INTERVAL_SECONDS * 1000}), or the lease lapses between renewals (received ${c.LEASE_DURATION_MS})`,
    );
  }
  if (c.BACKOFF_BASE_SECONDS > c.BACKOFF_MAX_SECONDS) {
    problems.push(
      `BACKOFF_BASE_SECONDS: must not exceed BACKOFF_MAX_SECONDS (${c.BACKOFF_MAX_SECONDS}) (received ${c.BACKOFF_BASE_SECONDS})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    queueUrl: c.IMAGE_JOBS_QUEUE_URL,
    dlqUrl: c.IMAGE_JOBS_DLQ_URL,
    table: c.IMAGE_JOBS_TABLE,
    bucket: c.ASSETS_BUCKET,
    concurrency: c.WORKER_CONCURRENCY,
    renderThreads: c.RENDER_THREADS,
    visibilityTimeoutSeconds: c.VISIBILITY_TIMEOUT_SECONDS,
    heartbeatIntervalSeconds: c.HEARTBEAT_INTERVAL_SECONDS,
    leaseDurationMs: c.LEASE_DURATION_MS,
    maxReceiveCount: c.MAX_RECEIVE_COUNT === 0 ? undefined : c.MAX_RECEIVE_COUNT,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    healthPort: c.HEALTH_PORT,
    batchSize: c.RECEIVE_BATCH_SIZE,
    waitTimeSeconds: c.RECEIVE_WAIT_SECONDS,
    backoff: { baseSeconds: c.BACKOFF_BASE_SECONDS, maxSeconds: c.BACKOFF_MAX_SECONDS },
    ledgerRetentionMs: c.LEDGER_RETENTION_DAYS * 24 * 3600 * 1000,
    limits: {
      maxWidth: c.MAX_IMAGE_WIDTH,
      maxHeight: c.MAX_IMAGE_HEIGHT,
      maxPixels: c.MAX_IMAGE_PIXELS,
      maxFractalIterations: c.MAX_FRACTAL_ITERATIONS,
    },
    workerId: c.WORKER_ID === '' ? undefined : c.WORKER_ID,
    faultInjection: c.IMAGE_WORKER_FAULT_INJECTION,
  };
}
