// Entry for `node --import @platform/telemetry/register services/x/src/main.ts`.
// Service name from OTEL_SERVICE_NAME; a bad environment stops start-up with exit 78.
import { enableCompileCache } from 'node:module';

// The SDK, the instrumentations and the application are a few thousand modules; V8's code cache
// on disk (Node's compile cache, os.tmpdir() by default) roughly halves the time to load them on
// every start after the first. It never fails start-up: an unwritable directory only disables it.
// NODE_COMPILE_CACHE=<dir> moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache();

// Loaded only now, so that the modules below are compiled with the cache enabled.
const { exitOnConfigError } = await import('@platform/config');
const { readTelemetryConfig } = await import('./config.ts');
const { startTelemetry } = await import('./startTelemetry.ts');

function serviceName(): string {
  try {
    return readTelemetryConfig().serviceName;
  } catch (error) {
    return exitOnConfigError(error);
  }
}
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
