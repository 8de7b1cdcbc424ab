// The preload of every service:
//   node --import @platform/service-runtime/register services/<name>/src/main.ts
// First the SIGTERM/SIGINT handlers (so a signal during start-up ends in exit 0, see
// processSignals.ts), then the OpenTelemetry preload, loaded dynamically so that its hundreds of
// milliseconds of module loading happen after the handlers are in place.
import { installEarlySignalHandlers, loadPreload } from './signals/processSignals.ts';

installEarlySignalHandlers();
await loadPreload(() => import('@platform/telemetry/register'));
