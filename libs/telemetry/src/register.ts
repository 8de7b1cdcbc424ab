// Entry for `node --import @platform/telemetry/register services/x/src/main.ts`.
// Service name from OTEL_SERVICE_NAME; a bad environment stops start-up with exit 78.
import { exitOnConfigError } from '@platform/config';
import { readTelemetryConfig, type TelemetryConfig } from './config.ts';
import { loadOtlpExporters } from './otlpExporters.ts';
import { startTelemetry } from './startTelemetry.ts';

let config: TelemetryConfig;
try {
  config = readTelemetryConfig();
} catch (error) {
  exitOnConfigError(error);
}
// Top-level await in an --import preload: the application's first import waits for it, so the
// exporters (loaded only when an endpoint is set) are in place before any span is made.
const telemetry = startTelemetry({ serviceName: config.serviceName, ...(await loadOtlpExporters(config)) });

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
