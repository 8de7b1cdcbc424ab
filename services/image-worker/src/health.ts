import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthChecks {
  /** Liveness: the process can still do its job (false = restart me). */
  isLive(): boolean;
  /** Readiness: taking work right now (false while starting or draining). */
  isReady(): boolean;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` and `/readyz` for Kubernetes probes on their own small port, apart from any traffic.
 * The image worker serves no other HTTP, so a bare node:http server is enough.
 */
export async function startHealthServer(
  checks: HealthChecks,
  options: { port: number; host?: string },
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const verdict = path === '/healthz' ? checks.isLive() : path === '/readyz' ? checks.isReady() : undefined;
    if (verdict === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res
      .writeHead(verdict ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ status: verdict ? 'ok' : 'unavailable' }));
  });
  // Probes are short and come every few seconds; don't let a half-open one hold shutdown.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host ?? '0.0.0.0' }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
