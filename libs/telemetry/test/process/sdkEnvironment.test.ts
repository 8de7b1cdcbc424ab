// The standard OTEL_* variables, read by NodeSDK and auto-instrumentations-node, do what an
// operator expects in a process started as a service is (`--import @platform/telemetry/register`):
// each test runs the SQS round-trip fixture (with a fetch) against its own OTLP/JSON receiver.
import test from 'ava';
import { startFauxqs } from 'fauxqs';
import { runUnderRegister, startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlpReceiver.ts';

const SPAN_KIND_CLIENT = 3;

async function runFixture(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
): Promise<{ receiver: OtlpReceiver; code: number | null; stderr: string; traceId: string }> {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  t.teardown(() => fauxqs.stop());
  const { queueUrl } = fauxqs.createQueue('sdk-env');
  const run = await runUnderRegister('sqsRoundTrip.ts', {
    OTEL_SERVICE_NAME: 'sdk-env-fixture',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    AWS_ENDPOINT_URL_SQS: fauxqs.address,
    AWS_REGION: 'us-east-1',
    QUEUE_URL: queueUrl,
    FETCH_URL: `${receiver.url}/probe`,
    ...env,
  });
  const traceId = run.code === 0 ? (JSON.parse(run.stdout.trim()) as { traceId: string }).traceId : '';
  return { receiver, code: run.code, stderr: run.stderr, traceId };
}

test('by default a fetch (undici) gets a client span in the job trace, beside the aws-sdk send span', async (t) => {
  const { receiver, code, stderr, traceId } = await runFixture(t, {});
  t.is(code, 0, stderr);
  t.deepEqual(receiver.otherRequests, ['GET /probe']);
  const spans = receiver.spans();
  const produce = spans.find((span) => span.name === 'produce job');
  const fetchSpan = spans.find((span) => span.kind === SPAN_KIND_CLIENT && span.name === 'GET');
  t.truthy(fetchSpan, `client spans: ${spans.map((span) => span.name).join(', ')}`);
  t.is(fetchSpan?.traceId, traceId);
  t.is(fetchSpan?.parentSpanId, produce?.spanId);
  t.truthy(spans.find((span) => span.name === 'sdk-env send'));
});

test('OTEL_NODE_ENABLED_INSTRUMENTATIONS is honoured: without aws-sdk there is no send span, our process span remains', async (t) => {
  const { receiver, code, stderr, traceId } = await runFixture(t, {
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,undici',
  });
  t.is(code, 0, stderr);
  const spans = receiver.spans();
  t.falsy(spans.find((span) => span.name === 'sdk-env send'));
  const processSpans = spans.filter((span) => span.name === 'sdk-env process');
  t.is(processSpans.length, 1);
  // Our own injection took over from the instrumentation: still one trace across the hop.
  t.is(processSpans[0]?.traceId, traceId);
  t.truthy(spans.find((span) => span.kind === SPAN_KIND_CLIENT && span.name === 'GET'));
});

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS is honoured: undici off, no fetch span', async (t) => {
  const { receiver, code, stderr } = await runFixture(t, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici' });
  t.is(code, 0, stderr);
  t.deepEqual(receiver.otherRequests, ['GET /probe']);
  const spans = receiver.spans();
  t.falsy(spans.find((span) => span.kind === SPAN_KIND_CLIENT && span.name === 'GET'));
  t.truthy(spans.find((span) => span.name === 'sdk-env process'));
});

test('OTEL_SDK_DISABLED=true: the process does its work, nothing is exported', async (t) => {
  const { receiver, code, stderr } = await runFixture(t, { OTEL_SDK_DISABLED: 'true' });
  t.is(code, 0, stderr);
  t.deepEqual(receiver.otherRequests, ['GET /probe']);
  t.deepEqual(receiver.spans(), []);
});

test('OTEL_TRACES_SAMPLER=always_off: nothing sampled, nothing exported, the process runs', async (t) => {
  const { receiver, code, stderr } = await runFixture(t, { OTEL_TRACES_SAMPLER: 'always_off' });
  t.is(code, 0, stderr);
  t.deepEqual(receiver.spans(), []);
});

test('OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_EXPORTER=otlp are read by the SDK', async (t) => {
  const { receiver, code, stderr } = await runFixture(t, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=sdk-env-test,team=platform',
  });
  t.is(code, 0, stderr);
  const resource = receiver.traceRequests[0]?.resourceSpans[0]?.resource.attributes ?? [];
  const attribute = (key: string) => resource.find((entry) => entry.key === key)?.value.stringValue;
  t.is(attribute('deployment.environment.name'), 'sdk-env-test');
  t.is(attribute('team'), 'platform');
  t.is(attribute('service.name'), 'sdk-env-fixture');
});

test('OTEL_TRACES_EXPORTER=none exports nothing although an endpoint is set', async (t) => {
  const { receiver, code, stderr } = await runFixture(t, { OTEL_TRACES_EXPORTER: 'none' });
  t.is(code, 0, stderr);
  t.deepEqual(receiver.spans(), []);
});
