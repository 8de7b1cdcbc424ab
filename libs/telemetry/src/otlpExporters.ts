// Kept for callers of the previous bootstrap, which built the OTLP exporters itself. NodeSDK now
// builds every exporter from the standard OTEL_* variables, so there is nothing to load.
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';

export interface OtlpExporters {
  spanExporter?: SpanExporter;
  metricReader?: IMetricReader;
}

/** @deprecated NodeSDK reads the exporter configuration itself; returns no exporters. */
export function loadOtlpExporters(_config?: unknown): Promise<OtlpExporters> {
  return Promise.resolve({});
}
