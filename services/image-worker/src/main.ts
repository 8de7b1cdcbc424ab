/**
 * The image worker process: the only place where clients, logger and metrics are created.
 *
 *   node --import @platform/service-runtime/register services/image-worker/src/main.ts
 *
 * The service bootstrap (@platform/service-runtime) reads the configuration once (exit 78 naming
 * every bad variable), builds logger, metrics and clients, serves /healthz and /readyz, and on
 * SIGTERM/SIGINT (also during start-up) stops polling, lets in-flight jobs finish (or releases
 * them) within SHUTDOWN_GRACE_MS, then exits 0.
 */
import { createAttemptPresigner, readMaxReceiveCount } from '@platform/reliable-consumer';
import { startService } from '@platform/service-runtime';
import { readImageWorkerConfig } from './config.ts';
import { createImageWorker } from './worker.ts';

await startService({
  name: 'image-worker',
  readConfig: readImageWorkerConfig,
  shutdownTimeoutMs: (config) => config.shutdownGraceMs,
  healthPort: (config) => config.healthPort,
  // Logs are asynchronous (the default; no blocking write per line): every fatal line and every
  // exit writes what is buffered synchronously, so the lines that explain a crash reach stdout.
  async start({ config, logger, metrics, aws, signal, healthPort }) {
    const maxReceiveCount =
      config.maxReceiveCount ??
      (await readMaxReceiveCount(aws.sqs, config.queueUrl, { abortSignal: signal }));
    const worker = createImageWorker(
      {
        sqs: aws.sqs,
        s3: aws.s3,
        uploadSigner: createAttemptPresigner(aws.s3),
        sns: aws.sns,
        documentClient: aws.documentClient,
        logger,
        metrics,
      },
      { ...config, maxReceiveCount },
    );
    worker.start();
    logger.info(
      {
        owner: worker.owner,
        healthPort,
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
    return {
      isReady: () => worker.isReady(),
      async stop() {
        await worker.stop();
        await worker.close();
      },
    };
  },
});
