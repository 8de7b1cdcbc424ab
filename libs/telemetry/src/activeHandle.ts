// The running SDK's handle, kept on globalThis so that the light main entry of this package can
// flush and stop the SDK without importing it: loading the trace/metrics SDKs and the
// instrumentations costs hundreds of milliseconds, which CLIs and libraries should not pay.
export interface TelemetryHandle {
  /** True when spans leave the process (an exporter is configured). */
  readonly exportsTraces: boolean;
  readonly exportsMetrics: boolean;
  /** Exports everything buffered so far. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK; idempotent. */
  shutdown(): Promise<void>;
}

export const ACTIVE = Symbol.for('@platform/telemetry.activeHandle');
export type HandleHolder = { [ACTIVE]?: TelemetryHandle };

/** The handle of the running SDK, if startTelemetry was called in this process. */
export function activeTelemetry(): TelemetryHandle | undefined {
  return (globalThis as HandleHolder)[ACTIVE];
}

/** Flushes and stops the SDK if it runs; for main.ts to await before process.exit(). */
export async function shutdownTelemetry(): Promise<void> {
  await activeTelemetry()?.shutdown();
}
