/** The instrumentation scope name of the spans and metrics this lib creates. */
export const TRACER_NAME = '@platform/telemetry';
export const METER_NAME = '@platform/telemetry';
