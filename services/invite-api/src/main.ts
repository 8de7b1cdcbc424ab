/**
 * invite-api process: the HTTP API, the outbox relay and the invite-events consumer.
 * The only place clients are created and the environment is read.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAwsClients } from '@platform/aws-resources';
import { exitOnConfigError } from '@platform/config';
import { createLogger, createMetrics, shutdownTelemetry } from '@platform/telemetry';
import { readInviteApiConfig, type InviteApiConfig } from './config.ts';
import { createInviteApi } from './inviteApi.ts';

const SERVICE = 'invite-api';

let config: InviteApiConfig;
try {
  config = readInviteApiConfig();
} catch (error) {
  exitOnConfigError(error);
}

const logger = createLogger({ service: SERVICE, level: config.logLevel });
const aws = createAwsClients();
const metrics = createMetrics(
  {
    ...(config.metrics.sink === 'cloudwatch'
      ? { cloudWatch: new CloudWatchClient({ region: aws.region }) }
      : {}),
    onFlushError: (error) => logger.warn({ err: error }, 'metrics flush failed'),
  },
  { namespace: config.metrics.namespace, service: SERVICE, sink: config.metrics.sink },
);

const api = createInviteApi({ documentClient: aws.documentClient, sqs: aws.sqs, logger, metrics }, config);
if (config.jwt.key.kind === 'secret') {
  logger.warn('JWT_SECRET set: tokens are verified with a shared HS256 secret (local development only)');
}

const server = createServer(api.app.callback());
// Keep-alive longer than a typical load balancer's idle timeout (60 s), so the balancer closes first
// and never sends a request on a connection we are closing.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 30_000;

server.on('error', (error) => {
  // EADDRINUSE and the like: nothing to serve, nothing to drain.
  logger.fatal({ err: error, port: config.port }, 'invite-api cannot listen');
  logger.flush(() => process.exit(1));
});
server.listen(config.port, () => {
  const { port } = server.address() as AddressInfo;
  logger.info({ port, env: process.env.ENV_NAME }, 'invite-api listening');
  api.relay.start();
  api.consumer.start();
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal during shutdown; exiting now');
    process.exit(130);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // Readiness first, so a load balancer stops routing; then stop accepting and drain in-flight requests.
  api.beginShutdown();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    logger.warn('shutdown deadline reached; closing remaining connections');
    server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  await Promise.all([api.relay.stop(), api.consumer.stop()]);
  await metrics.close();
  await shutdownTelemetry();
  aws.destroy();
  logger.info('invite-api stopped');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  });
}
