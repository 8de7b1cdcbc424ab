import test, { type ExecutionContext } from 'ava';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  MeterProvider,
  InMemoryMetricExporter,
  AggregationTemporality,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  EMF_MAX_METRICS_PER_DOCUMENT,
  EMF_MAX_VALUES_PER_METRIC,
  METRIC_CATALOGUE,
  createMetrics,
  type EmfDocument,
} from '../../src/index.ts';
import { toEmfDocuments } from '../../src/metrics/emf.ts';
import {
  PUT_METRIC_DATA_MAX_DATUMS,
  batchMetricData,
  toMetricData,
} from '../../src/metrics/cloudWatchSink.ts';

const NOW = Date.UTC(2026, 0, 1);

function capture(): { write: (line: string) => void; documents: () => EmfDocument[] } {
  const lines: string[] = [];
  return {
    write: (line) => lines.push(line),
    documents: () =>
      lines.map((line) => {
        if (!line.endsWith('\n')) throw new Error('EMF lines are newline-terminated');
        return JSON.parse(line) as EmfDocument;
      }),
  };
}

/** Structural check of one EMF document against the specification and its limits. */
function assertValidEmf(t: ExecutionContext, document: EmfDocument): void {
  t.is(typeof document._aws.Timestamp, 'number');
  t.true(document._aws.CloudWatchMetrics.length >= 1);
  for (const directive of document._aws.CloudWatchMetrics) {
    t.is(typeof directive.Namespace, 'string');
    t.true(directive.Metrics.length <= EMF_MAX_METRICS_PER_DOCUMENT);
    for (const set of directive.Dimensions) {
      t.true(set.length <= 30);
      for (const key of set) t.is(typeof document[key], 'string', `dimension ${key} is a root string member`);
    }
    for (const metric of directive.Metrics) {
      const value = document[metric.Name];
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      t.true(values.length <= EMF_MAX_VALUES_PER_METRIC);
      t.true(values.every((v) => typeof v === 'number'));
    }
  }
}

test('a flush writes one EMF document per dimension set, Service added, counts summed', async (t) => {
  const out = capture();
  const metrics = createMetrics(
    { write: out.write, now: () => NOW },
    { namespace: 'Test', service: 'image-worker', flushIntervalMs: 0 },
  );
  metrics.count('JobsSucceeded', 1, { Template: 'card' });
  metrics.count('JobsSucceeded', 2, { Template: 'card' });
  metrics.record('RenderMs', 12.5, { Template: 'card' });
  metrics.record('RenderMs', 30, { Template: 'card' });
  metrics.record('EventLoopLagMs', 3);
  await metrics.flush();
  const documents = out.documents();
  t.is(documents.length, 2);
  for (const document of documents) assertValidEmf(t, document);
  t.deepEqual(documents[0], {
    _aws: {
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'Test',
          Dimensions: [['Service', 'Template']],
          Metrics: [
            { Name: 'JobsSucceeded', Unit: 'Count' },
            { Name: 'RenderMs', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Service: 'image-worker',
    Template: 'card',
    JobsSucceeded: 3,
    RenderMs: [12.5, 30],
  });
  t.like(documents[1], { Service: 'image-worker', EventLoopLagMs: 3 });
  await metrics.flush();
  t.is(out.documents().length, 2, 'a flush with nothing buffered writes nothing');
  await metrics.close();
});

test('150 metrics in one flush become 2 documents (100 + 50)', (t) => {
  const metrics = Array.from({ length: 150 }, (_, i) => ({ name: `M${i}`, unit: 'Count', values: [i] }));
  const documents = toEmfDocuments('Test', NOW, { dimensions: { Service: 's' }, metrics });
  t.deepEqual(
    documents.map((document) => document._aws.CloudWatchMetrics[0]?.Metrics.length),
    [100, 50],
  );
  for (const document of documents) assertValidEmf(t, document);
  t.is(documents[1]?.['M149'], 149);
});

test('250 values of one metric become 3 documents (100 + 100 + 50 values)', async (t) => {
  const out = capture();
  const metrics = createMetrics(
    { write: out.write },
    { namespace: 'Test', service: 'sms-sender', flushIntervalMs: 0 },
  );
  for (let i = 0; i < 250; i += 1) metrics.record('ProviderLatencyMs', i, { Provider: 'outbox' });
  await metrics.close();
  const documents = out.documents();
  t.deepEqual(
    documents.map((document) => (document['ProviderLatencyMs'] as number[]).length),
    [100, 100, 50],
  );
  for (const document of documents) assertValidEmf(t, document);
});

test('more than 30 dimensions in a set is refused', (t) => {
  const dimensions = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`D${i}`, 'v']));
  t.throws(
    () => toEmfDocuments('Test', NOW, { dimensions, metrics: [{ name: 'M', unit: 'Count', values: [1] }] }),
    {
      instanceOf: RangeError,
      message: /at most 30/,
    },
  );
});

test('dimensions and values are checked against the catalogue at run time too', (t) => {
  const metrics = createMetrics(
    { write: () => undefined },
    { namespace: 'Test', service: 'invite-api', flushIntervalMs: 0 },
  );
  // Compile-time checks exist as well; the casts simulate an untyped caller.
  const untyped = metrics as unknown as {
    count: (name: string, value?: number, dims?: Record<string, string>) => void;
  };
  t.throws(() => untyped.count('InvitationsRejected', 1, {}), { message: /dimension Reason is required/ });
  t.throws(() => untyped.count('InvitationsCreated', 1, { Template: 'x' }), {
    message: /Template is not one of its dimensions/,
  });
  t.throws(() => metrics.count('InvitationsCreated', Number.NaN), { instanceOf: RangeError });
  t.notThrows(() => metrics.count('InvitationsRejected', 1, { Reason: 'rate_limited' }));
});

test('the interval flush writes without an explicit flush, and its timer does not hold the process', async (t) => {
  const out = capture();
  const metrics = createMetrics(
    { write: out.write },
    { namespace: 'Test', service: 'image-worker', flushIntervalMs: 100 },
  );
  t.teardown(() => metrics.close());
  metrics.count('LeaseLost', 1, { Template: 'card' });
  const deadline = Date.now() + 5000;
  while (out.documents().length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.like(out.documents()[0], { LeaseLost: 1 });
});

test('every metric is also recorded on the OTel meter: counters and histograms', async (t) => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  t.teardown(() => provider.shutdown());
  const metrics = createMetrics(
    { write: () => undefined, meter: provider.getMeter('test') },
    { namespace: 'Test', service: 'image-worker', flushIntervalMs: 0 },
  );
  metrics.count('JobsSucceeded', 2, { Template: 'card' });
  metrics.record('OutputBytes', 150_000, { Template: 'card' });
  await reader.forceFlush();
  const exported = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  const byName = new Map(exported.map((metric) => [metric.descriptor.name, metric]));
  t.is(byName.get('jobs_succeeded')?.descriptor.unit, '1');
  t.deepEqual(byName.get('jobs_succeeded')?.dataPoints[0]?.attributes, {
    Service: 'image-worker',
    Template: 'card',
  });
  t.is(byName.get('jobs_succeeded')?.dataPoints[0]?.value, 2);
  t.is(byName.get('output_bytes')?.descriptor.unit, 'By');
});

test('cloudwatch sink: values become Values/Counts, batched by PutMetricData limits', async (t) => {
  const data = toMetricData(
    {
      dimensions: { Service: 's', Template: 't' },
      metrics: [{ name: 'RenderMs', unit: 'Milliseconds', values: [5, 5, 7] }],
    },
    new Date(NOW),
  );
  t.like(data[0], { MetricName: 'RenderMs', Unit: 'Milliseconds', Values: [5, 7], Counts: [2, 1] });
  const many = Array.from({ length: 2500 }, () => data[0]!);
  t.deepEqual(
    batchMetricData(many).map((batch) => batch.length),
    [PUT_METRIC_DATA_MAX_DATUMS, PUT_METRIC_DATA_MAX_DATUMS, 500],
  );

  // CloudWatch has no emulator here: a fake client at the boundary records the commands.
  const sent: Array<{ Namespace?: string; MetricData?: unknown[] }> = [];
  const fakeCloudWatch = {
    send: async (command: { input: { Namespace?: string; MetricData?: unknown[] } }) => {
      sent.push(command.input);
      return {};
    },
  } as unknown as CloudWatchClient;
  const metrics = createMetrics(
    { cloudWatch: fakeCloudWatch, write: () => t.fail('cloudwatch sink writes no EMF') },
    { namespace: 'EventPlatform', service: 'sms-sender', sink: 'cloudwatch', flushIntervalMs: 0 },
  );
  metrics.count('SmsSent', 1, { Provider: 'sns' });
  await metrics.close();
  t.is(sent.length, 1);
  t.like(sent[0], {
    Namespace: 'EventPlatform',
    MetricData: [{ MetricName: 'SmsSent', Values: [1], Counts: [1] }],
  });
  t.throws(() => createMetrics({}, { namespace: 'N', service: 's', sink: 'cloudwatch' }), {
    name: 'ConfigError',
  });
});

test('the catalogue respects the EMF dimension limit and starts every dimension set with Service', (t) => {
  for (const [name, definition] of Object.entries(METRIC_CATALOGUE)) {
    t.true(definition.dimensions.length <= 30, name);
    t.is(definition.dimensions[0], 'Service', name);
  }
});
