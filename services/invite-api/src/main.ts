/**
 * invite-api process: the HTTP API, the outbox relay and the invite-events consumer.
 *
 *   node --import @platform/service-runtime/register services/invite-api/src/main.ts
 *
 * The only place clients are created and the environment is read (by the service bootstrap:
 * config once with exit 78, logger, metrics, signals also during start-up, exit codes). Health is
 * served by the API itself on PORT (/healthz, /readyz).
 */
import type { AddressInfo } from 'node:net';
import { startService } from '@platform/service-runtime';
import { readInviteApiConfig } from './config.ts';
import { createApiServer } from './http/createApiServer.ts';
import { createInviteApi } from './inviteApi.ts';

await startService({
  name: 'invite-api',
  readConfig: readInviteApiConfig,
  shutdownTimeoutMs: (config) => config.shutdownTimeoutMs,
  async start({ config, logger, metrics, aws, signal }) {
    const api = createInviteApi(
      { documentClient: aws.documentClient, sqs: aws.sqs, s3: aws.s3, logger, metrics },
      config,
    );
    if (config.shareCards === undefined) {
      logger.info(
        'share cards off: IMAGE_JOBS_QUEUE_URL, IMAGE_JOBS_TABLE and ASSETS_BUCKET unset; landing pages use the static card',
      );
    } else {
      logger.info(
        { imageJobsTable: config.shareCards.tableName, bucket: config.shareCards.bucket },
        'share cards on: each invitation asks image-worker for its card',
      );
    }
    if (config.jwt.key.kind === 'secret') {
      logger.warn('JWT_SECRET set: tokens are verified with a shared HS256 secret (local development only)');
    }
    const server = createApiServer({ app: api.app, logger });
    // EADDRINUSE and the like reject: nothing to serve, start-up failed (exit 1).
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, () => {
        server.off('error', reject);
        resolve();
      });
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    const { port } = server.address() as AddressInfo;
    logger.info({ port, env: process.env.ENV_NAME }, 'invite-api listening');
    api.relay.start();
    api.consumer.start();

    return {
      isReady: () => server.listening,
      async stop() {
        // Readiness first, so a load balancer stops routing; then stop accepting and drain in-flight requests.
        api.beginShutdown();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => {
          logger.warn('shutdown deadline reached; closing remaining connections');
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        await closed;
        clearTimeout(deadline);
        // No request is left: the sends they scheduled after their responses finish here, so a normal
        // shutdown leaves nothing to the relay's grace.
        await Promise.all([
          api.publisher.drain(),
          api.relay.stop(),
          api.consumer.stop(),
          api.shareCards?.requester.drain(),
        ]);
      },
    };
  },
});
