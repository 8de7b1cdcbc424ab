import { readConfig, str, url, intInRange } from '@platform/config';

/** Where EMF metric documents go: stdout (collected by the log pipeline), PutMetricData, or nowhere. */
export const METRICS_SINKS = ['stdout', 'cloudwatch', 'none'] as const;
export type MetricsSink = (typeof METRICS_SINKS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every variable the telemetry lib reads, in one place (documented in the README). */
const telemetrySpec = {
  /** OTel standard: the service's name on every span, metric and log line. */
  OTEL_SERVICE_NAME: str({ desc: 'service.name resource attribute' }),
  /** Not an OTel variable: OTel carries the version only inside OTEL_RESOURCE_ATTRIBUTES. */
  SERVICE_VERSION: str({ default: '0.0.0', desc: 'service.version resource attribute' }),
  /** OTel standard; when neither endpoint is set nothing is exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url({ default: undefined }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url({ default: undefined }),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: url({ default: undefined }),
  /** OTel standard (ms); the spec's default is 60 s. */
  OTEL_METRIC_EXPORT_INTERVAL: intInRange(1000, 3_600_000)({ default: 60_000 }),
  /** Set from the Kubernetes downward API (metadata.name, metadata.namespace, spec.nodeName). */
  K8S_POD_NAME: str({ default: undefined }),
  K8S_NAMESPACE: str({ default: undefined }),
  K8S_NODE_NAME: str({ default: undefined }),
  /** Environment name (resource prefix), reported as deployment.environment.name. */
  ENV_NAME: str({ default: undefined }),
  LOG_LEVEL: str({ choices: LOG_LEVELS, default: 'info' }),
  METRICS_NAMESPACE: str({ default: 'EventPlatform' }),
  METRICS_SINK: str({ choices: METRICS_SINKS, default: 'stdout' }),
  /** How often buffered metrics are flushed when no unit of work flushes them. */
  METRICS_FLUSH_INTERVAL_MS: intInRange(100, 3_600_000)({ default: 10_000 }),
};

export interface TelemetryConfig {
  serviceName: string;
  serviceVersion: string;
  /** True when OTLP export is configured (either the generic or the signal-specific endpoint). */
  tracesExportEnabled: boolean;
  metricsExportEnabled: boolean;
  metricExportIntervalMs: number;
  k8s: { podName?: string; namespace?: string; nodeName?: string };
  environment?: string;
  logLevel: LogLevel;
  metrics: { namespace: string; sink: MetricsSink; flushIntervalMs: number };
}

/**
 * Reads the telemetry part of the environment once. Throws one ConfigError naming every bad
 * variable (see @platform/config).
 */
export function readTelemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const raw = readConfig(telemetrySpec, env);
  const k8s: TelemetryConfig['k8s'] = {};
  if (raw.K8S_POD_NAME !== undefined) k8s.podName = raw.K8S_POD_NAME;
  if (raw.K8S_NAMESPACE !== undefined) k8s.namespace = raw.K8S_NAMESPACE;
  if (raw.K8S_NODE_NAME !== undefined) k8s.nodeName = raw.K8S_NODE_NAME;
  const config: TelemetryConfig = {
    serviceName: raw.OTEL_SERVICE_NAME,
    serviceVersion: raw.SERVICE_VERSION,
    tracesExportEnabled:
      raw.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined,
    metricsExportEnabled:
      raw.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || raw.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT !== undefined,
    metricExportIntervalMs: raw.OTEL_METRIC_EXPORT_INTERVAL,
    k8s,
    logLevel: raw.LOG_LEVEL,
    metrics: {
      namespace: raw.METRICS_NAMESPACE,
      sink: raw.METRICS_SINK,
      flushIntervalMs: raw.METRICS_FLUSH_INTERVAL_MS,
    },
  };
  if (raw.ENV_NAME !== undefined) config.environment = raw.ENV_NAME;
  return config;
}
