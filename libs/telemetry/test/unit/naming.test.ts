import test from 'ava';
import { METRIC_NAMES, otelMetric, prometheusMetricName, prometheusName } from '../../src/index.ts';

// Examples from the prometheus/otlptranslator documentation and tests (the code the collector's
// prometheus exporter uses) and the OTel Prometheus compatibility spec.
for (const [otel, expected] of [
  [
    { name: 'http.server.request.duration', unit: 's', kind: 'histogram' },
    'http_server_request_duration_seconds',
  ],
  [{ name: 'requests.count', unit: '1', kind: 'counter' }, 'requests_count_total'],
  [{ name: 'memory.usage', unit: 'By', kind: 'gauge' }, 'memory_usage_bytes'],
  [{ name: 'cpu.utilization', unit: '1', kind: 'gauge' }, 'cpu_utilization_ratio'],
  [{ name: 'throughput', unit: 'By/s', kind: 'gauge' }, 'throughput_bytes_per_second'],
  [{ name: 'requests_total', unit: '{request}', kind: 'counter' }, 'requests_total'],
  [{ name: 'job_duration_milliseconds', unit: 'ms', kind: 'histogram' }, 'job_duration_milliseconds'],
  [{ name: 'a__b..c', unit: '', kind: 'histogram' }, 'a_b_c'],
] as const) {
  test(`${otel.name} (${otel.unit}, ${otel.kind}) -> ${expected}`, (t) => {
    t.is(prometheusMetricName(otel), expected);
  });
}

test('catalogue metrics: OTel instrument names and Prometheus series', (t) => {
  t.deepEqual(otelMetric('JobDurationMs'), { name: 'job_duration', unit: 'ms', kind: 'histogram' });
  t.deepEqual(prometheusName('JobDurationMs'), {
    name: 'job_duration_milliseconds',
    series: [
      'job_duration_milliseconds_bucket',
      'job_duration_milliseconds_sum',
      'job_duration_milliseconds_count',
    ],
  });
  t.is(prometheusName('JobsSucceeded').name, 'jobs_succeeded_total');
  t.is(prometheusName('OutputBytes').name, 'output_bytes');
  t.is(prometheusName('EventLoopLagMs').name, 'event_loop_lag_milliseconds');
  t.is(prometheusName('SmsDuplicateSuppressed', 'platform').name, 'platform_sms_duplicate_suppressed_total');
  const names = METRIC_NAMES.map((name) => prometheusName(name).name);
  t.is(new Set(names).size, names.length, 'no two catalogue metrics collide in Prometheus');
  for (const name of names) t.regex(name, /^[a-z_][a-z0-9_]*$/);
});
