// The preload of every service:
//   node --import @platform/service-runtime/register services/<name>/src/main.ts
// First the SIGTERM/SIGINT handlers (so a signal during start-up ends in exit 0, see
// processSignals.ts), then the OpenTelemetry preload, loaded dynamically so that its hundreds of
// milliseconds of module loading happen after the handlers are in place.
//
// Once per process, in the main thread only: worker threads (the image worker's render threads)
// inherit the --import, but signals are the process's and the OTel SDK is per process. Running it
// there too cost each thread a second SDK, its ESM hook thread and the instrumentations' module
// loading: about a second of CPU and tens of MB per thread, for no span.
import { isMainThread } from 'node:worker_threads';
import { installEarlySignalHandlers, loadPreload } from './signals/processSignals.ts';

if (isMainThread) await preload();

async function preload(): Promise<void> {
  installEarlySignalHandlers();
  // At LOG_LEVEL=debug, start-up phases are visible (the logger does not exist yet: one plain line
  // in the logger's format). Also the first moment a test can send SIGTERM and expect exit 0.
  const debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
  const phase = (msg: string) => {
    if (debug) {
      process.stdout.write(
        `${JSON.stringify({ level: 'debug', time: new Date().toISOString(), pid: process.pid, uptimeMs: Math.round(process.uptime() * 1000), msg })}\n`,
      );
    }
  };
  phase('signal handlers installed');
  await loadPreload(() => import('@platform/telemetry/register'));
  phase('telemetry preload loaded');
}
