// The SDK bootstrap as a separate entry, so importing the main entry stays cheap.
export { startTelemetry, shutdownTelemetry, activeTelemetry } from './startTelemetry.ts';
export type { StartTelemetryOptions, TelemetryHandle } from './startTelemetry.ts';
