/**
 * The image worker process: the only place where clients, logger and metrics are created.
 *
 *   node --import @platform/telemetry/register services/image-worker/src/main.ts
 *
 * Reads its configuration once (exit 78 naming every bad variable), serves /healthz and /readyz,
 * polls the image-jobs queue, and on SIGTERM/SIGINT stops polling, lets in-flight jobs finish (or
 * releases them) within SHUTDOWN_GRACE_MS, then exits 0.
 */
import { createAwsClients } from '@platform/aws-resources';
import { exitOnConfigError } from '@platform/config';
import { installSignalHandlers, readMaxReceiveCount, startHealthServer } from '@platform/reliable-consumer';
import { createLogger, createMetrics, readTelemetryConfig, shutdownTelemetry } from '@platform/telemetry';
import { pino } from 'pino';
import { readImageWorkerConfig, type ImageWorkerConfig } from './config.ts';
import { createImageWorker } from './worker.ts';

const SERVICE = 'image-worker';

let config: ImageWorkerConfig;
let telemetry: ReturnType<typeof readTelemetryConfig>;
try {
  config = readImageWorkerConfig();
  telemetry = readTelemetryConfig({ OTEL_SERVICE_NAME: SERVICE, ...process.env });
} catch (error) {
  exitOnConfigError(error);
}

// Synchronous stdout: the last lines before a crash (or a SIGKILL) are the ones that explain it,
// and an asynchronous buffer would lose them. The volume here (a few lines per job) makes it cheap.
const logger = createLogger({
  service: SERVICE,
  level: telemetry.logLevel,
  destination: pino.destination({ dest: 1, sync: true }),
});
const clients = createAwsClients(process.env);
const metrics = createMetrics(
  { onFlushError: (error) => logger.warn({ err: error }, 'metrics flush failed') },
  {
    namespace: telemetry.metrics.namespace,
    service: SERVICE,
    sink: telemetry.metrics.sink,
    flushIntervalMs: telemetry.metrics.flushIntervalMs,
  },
);

let maxReceiveCount: number;
try {
  maxReceiveCount = config.maxReceiveCount ?? (await readMaxReceiveCount(clients.sqs, config.queueUrl));
} catch (error) {
  exitOnConfigError(error);
}

const worker = createImageWorker(
  {
    sqs: clients.sqs,
    s3: clients.s3,
    sns: clients.sns,
    documentClient: clients.documentClient,
    logger,
    metrics,
  },
  { ...config, maxReceiveCount },
);
const health = await startHealthServer(
  { isLive: () => true, isReady: () => worker.isReady() },
  { port: config.healthPort },
);

installSignalHandlers(worker.consumer, {
  logger,
  onExit: async () => {
    await health.close();
    await worker.close();
    await metrics.close();
    clients.destroy();
    await shutdownTelemetry();
    logger.info({}, 'image worker stopped');
  },
});

worker.start();
logger.info(
  {
    owner: worker.owner,
    healthPort: health.port,
    queueUrl: config.queueUrl,
    concurrency: config.concurrency,
    renderThreads: config.renderThreads,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    leaseDurationMs: config.leaseDurationMs,
    maxReceiveCount,
  },
  'image worker started',
);
