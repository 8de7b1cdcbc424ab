// Public surface of @platform/telemetry. It never loads the OTel SDK: the bootstrap lives in
// `@platform/telemetry/register` (loaded with --import, before the application) and
// `@platform/telemetry/sdk` (startTelemetry, for tests and custom entry points).
export { shutdownTelemetry, activeTelemetry } from './activeHandle.ts';
export type { TelemetryHandle } from './activeHandle.ts';
export { readTelemetryConfig, METRICS_SINKS, LOG_LEVELS } from './config.ts';
export type { TelemetryConfig, MetricsSink, LogLevel } from './config.ts';

export { createLogger } from './logging/createLogger.ts';
export type { Logger, CreateLoggerOptions } from './logging/createLogger.ts';
export { maskPhone } from './logging/maskPhone.ts';

export { createMetrics } from './metrics/createMetrics.ts';
export type { Metrics, MetricsDependencies, MetricsOptions } from './metrics/createMetrics.ts';
export { METRIC_CATALOGUE, METRIC_NAMES, metricDefinition, metricsOf } from './metrics/catalogue.ts';
export type {
  MetricName,
  CountMetricName,
  ValueMetricName,
  MetricDimensions,
  MetricDefinition,
  MetricUnit,
  OwningService,
} from './metrics/catalogue.ts';
export { prometheusName, prometheusMetricName, otelMetric } from './metrics/naming.ts';
export type { PrometheusSeries, OtelMetricIdentity } from './metrics/naming.ts';
export {
  EMF_MAX_METRICS_PER_DOCUMENT,
  EMF_MAX_DIMENSIONS_PER_SET,
  EMF_MAX_VALUES_PER_METRIC,
} from './metrics/emf.ts';
export type { EmfDocument } from './metrics/emf.ts';

export {
  injectTraceContext,
  writeTraceContext,
  extractTraceContext,
  SQS_MAX_MESSAGE_ATTRIBUTES,
} from './sqsPropagation.ts';
export type { SqsAttributes } from './sqsPropagation.ts';
export { withProcessSpan, queueNameFromUrl, runInSpan } from './processSpan.ts';
export type { ProcessSpanOptions } from './processSpan.ts';
