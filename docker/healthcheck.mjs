// HEALTHCHECK for `docker run` / docker compose (Kubernetes ignores it and probes the same endpoint).
// Exec form and plain node, so the image needs no shell and no curl. Workers serve health on
// HEALTH_PORT, invite-api on PORT; without either, the service's own default port.
/* global process, fetch, AbortSignal */

// The defaults in services/<name>/src/config.ts.
const DEFAULT_PORTS = { 'image-worker': 8081, 'sms-sender': 8082, 'invite-api': 8080 };

const port =
  process.env.HEALTH_PORT ?? process.env.PORT ?? DEFAULT_PORTS[process.env.OTEL_SERVICE_NAME ?? ''];
if (port === undefined) process.exit(1);
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
