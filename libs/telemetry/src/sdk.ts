// The SDK bootstrap as a separate entry, so importing the main entry stays cheap.
export { startTelemetry, shutdownTelemetry, activeTelemetry, loadOtlpExporters } from './startTelemetry.ts';
export type { StartTelemetryOptions, TelemetryHandle, OtlpExporters } from './startTelemetry.ts';
