// One trace across a real SQS hop, exported over real OTLP/HTTP: a child process runs as a
// service does (`node --import @platform/telemetry/register`), with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a receiver this test starts. OTEL_EXPORTER_OTLP_PROTOCOL=http/json makes the SDK's
// exporter send OTLP/JSON (ids as hex strings); its default is http/protobuf.
import test from 'ava';
import { startFauxqs } from 'fauxqs';
import { runUnderRegister, startOtlpReceiver } from '../fixtures/otlpReceiver.ts';

test('producer and process spans arrive at an OTLP/HTTP receiver with one trace id', async (t) => {
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  t.teardown(() => fauxqs.stop());
  const { queueUrl } = fauxqs.createQueue('trace-otlp');

  const run = await runUnderRegister('sqsRoundTrip.ts', {
    OTEL_SERVICE_NAME: 'trace-otlp-fixture',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    K8S_POD_NAME: 'fixture-pod-0',
    K8S_NAMESPACE: 'platform-test',
    AWS_ENDPOINT_URL_SQS: fauxqs.address,
    AWS_REGION: 'us-east-1',
    QUEUE_URL: queueUrl,
  });
  t.is(run.code, 0, run.stderr);
  // The child flushes before it exits, and the exporter waits for our 200: everything is here.
  const { traceId } = JSON.parse(run.stdout.trim()) as { traceId: string };

  t.true(receiver.contentTypes.every((type) => type.startsWith('application/json')));
  const spans = receiver.spans();
  const produce = spans.find((span) => span.name === 'produce job');
  const send = spans.find((span) => span.name === 'trace-otlp send');
  const processSpans = spans.filter((span) => span.name === 'trace-otlp process');
  t.is(produce?.traceId, traceId);
  t.is(send?.traceId, traceId);
  t.is(processSpans.length, 1);
  t.is(processSpans[0]?.traceId, traceId);
  t.is(processSpans[0]?.parentSpanId, send?.spanId);
  t.deepEqual(
    processSpans[0]?.links?.map((link) => link.traceId),
    [traceId],
  );

  const resource = receiver.traceRequests[0]?.resourceSpans[0]?.resource.attributes ?? [];
  const attribute = (key: string) => resource.find((entry) => entry.key === key)?.value.stringValue;
  t.is(attribute('service.name'), 'trace-otlp-fixture');
  t.is(attribute('k8s.pod.name'), 'fixture-pod-0');
  t.is(attribute('k8s.namespace.name'), 'platform-test');
});
