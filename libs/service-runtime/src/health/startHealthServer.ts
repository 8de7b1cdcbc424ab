import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@platform/telemetry';
import { answerClientErrors } from '../http/answerClientErrors.ts';

export interface HealthChecks {
  /** Liveness: false = the process cannot recover by itself, restart it. */
  isLive(): boolean;
  /** Readiness: taking work now (false while starting and while draining). */
  isReady(): boolean;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` and `/readyz` for Kubernetes probes on their own small port, apart from any traffic.
 * A consumer serves no other HTTP, so a bare node:http server is enough.
 */
export async function startHealthServer(
  checks: HealthChecks & { logger?: Logger },
  options: { port: number; host?: string },
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const verdict = path === '/healthz' ? checks.isLive() : path === '/readyz' ? checks.isReady() : undefined;
    if (verdict === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"status":"not found"}');
      return;
    }
    response
      .writeHead(verdict ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ status: verdict ? 'ok' : 'unavailable' }));
  });
  if (checks.logger !== undefined) answerClientErrors(server, { logger: checks.logger });
  // Probes come every few seconds; an idle keep-alive socket must not hold shutdown up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host ?? '0.0.0.0' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
