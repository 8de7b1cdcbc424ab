import { readConfig, str, intInRange } from '@platform/config';

/** Where EMF metric documents go: stdout (collected by the log pipeline), PutMetricData, or nowhere. */
export const METRICS_SINKS = ['stdout', 'cloudwatch', 'none'] as const;
export type MetricsSink = (typeof METRICS_SINKS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every variable the telemetry lib reads itself, in one place (documented in the README). The
 * standard OTEL_* SDK variables (exporters, endpoints, sampler, limits...) are read by NodeSDK.
 */
const telemetrySpec = {
  /** OTel standard: the service's name on every span, metric and log line. */
  OTEL_SERVICE_NAME: str({ desc: 'service.name resource attribute' }),
  /** Not an OTel variable: OTel carries the version only inside OTEL_RESOURCE_ATTRIBUTES. */
  SERVICE_VERSION: str({ default: '0.0.0', desc: 'service.version resource attribute' }),
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
