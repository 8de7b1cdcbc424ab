// Entry for `node --import @platform/telemetry/register services/x/src/main.ts`.
// Service name from OTEL_SERVICE_NAME; a bad environment stops start-up with exit 78.
// (Node's compile cache, which makes loading the SDK cheaper, is enabled by NODE_COMPILE_CACHE:
// `npm start` and `npm test` set it, see scripts/preflight/run.mjs.)
// Main thread only: a worker thread inherits the --import, but the SDK is one per process.
import { isMainThread } from 'node:worker_threads';
import { exitOnConfigError } from '@platform/config';
import { readTelemetryConfig } from './config.ts';
import { startTelemetry } from './startTelemetry.ts';

function serviceName(): string {
  try {
    return readTelemetryConfig().serviceName;
  } catch (error) {
    exitOnConfigError(error);
  }
}
if (isMainThread) preload();

function preload(): void {
  const telemetry = startTelemetry({ serviceName: serviceName() });

  // Flush what is buffered when the process ends on its own (event loop drained).
  process.once('beforeExit', () => {
    void telemetry.shutdown();
  });

  // A SIGTERM listener disables Node's default "terminate". Services install their own handler
  // (drain, then exit) and call shutdownTelemetry() before exiting; only when nothing else listens
  // do we flush and then exit the way the default handler would (128 + 15).
  process.on('SIGTERM', () => {
    if (process.listenerCount('SIGTERM') > 1) return;
    void telemetry.shutdown().finally(() => process.exit(143));
  });
}
