import test from 'ava';
import { readTelemetryConfig } from '../../src/index.ts';

test('defaults and k8s attributes', (t) => {
  const config = readTelemetryConfig({
    OTEL_SERVICE_NAME: 'image-worker',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
    K8S_POD_NAME: 'image-worker-7d9f-abcde',
    K8S_NAMESPACE: 'platform',
  });
  t.like(config, {
    serviceName: 'image-worker',
    logLevel: 'info',
    k8s: { podName: 'image-worker-7d9f-abcde', namespace: 'platform' },
    metrics: { namespace: 'EventPlatform', sink: 'stdout', flushIntervalMs: 10_000 },
  });
});

test('one ConfigError names every bad variable', (t) => {
  const error = t.throws(() => readTelemetryConfig({ LOG_LEVEL: 'loud', METRICS_SINK: 'kafka' }), {
    name: 'ConfigError',
  });
  t.regex(error.message, /OTEL_SERVICE_NAME/);
  t.regex(error.message, /LOG_LEVEL/);
  t.regex(error.message, /METRICS_SINK/);
});
