// The OTLP/HTTP exporters, loaded only when an endpoint is configured: importing them costs
// ~150-250 ms of start-up (measured here), which a process that exports nothing should not pay.
// The exporters read their endpoints (OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT) themselves.
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from './config.ts';

export interface OtlpExporters {
  spanExporter?: SpanExporter;
  metricReader?: IMetricReader;
}

type ExportSwitches = Pick<
  TelemetryConfig,
  'tracesExportEnabled' | 'metricsExportEnabled' | 'metricExportIntervalMs'
>;

/**
 * The exporters the environment asks for. Await it BEFORE startTelemetry (register.ts does, at
 * top level): loading them afterwards would load their http client modules under the
 * instrumentation.
 */
export async function loadOtlpExporters(config: ExportSwitches): Promise<OtlpExporters> {
  const [traces, metrics] = await Promise.all([
    config.tracesExportEnabled ? import('@opentelemetry/exporter-trace-otlp-http') : undefined,
    config.metricsExportEnabled
      ? Promise.all([
          import('@opentelemetry/exporter-metrics-otlp-http'),
          import('@opentelemetry/sdk-metrics'),
        ])
      : undefined,
  ]);
  const exporters: OtlpExporters = {};
  if (traces !== undefined) exporters.spanExporter = new traces.OTLPTraceExporter();
  if (metrics !== undefined) {
    const [{ OTLPMetricExporter }, { PeriodicExportingMetricReader }] = metrics;
    // The exporter's default temporality is cumulative, which the collector's prometheus exporter needs.
    exporters.metricReader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(),
      exportIntervalMillis: config.metricExportIntervalMs,
    });
  }
  return exporters;
}
