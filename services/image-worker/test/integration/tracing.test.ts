// One job, one trace: the CONSUMER process span (from the consumer lib) is parented to the producer;
// its children are the AWS SDK spans of the job's calls (ledger writes, upload, event) and `render`,
// with no HTTP client span under any of them. The SDK is started first, as --import does in a service.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '@platform/telemetry/sdk';
import test from 'ava';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ serviceName: 'image-worker-test', spanExporter: exporter, env: {} });
const { useIsolatedAws, waitForItem } = await import('@platform/testkit');
const { submitImageJob } = await import('../../src/jobs/submit.ts');
const { startInProcessWorker } = await import('../helpers/inProcessWorker.ts');
const { testJob } = await import('../helpers/jobs.ts');

test.after.always(() => telemetry.shutdown());

test('a job is one CONSUMER span in the producer trace; its children are render and the AWS SDK spans, none with an HTTP child', async (t) => {
  const aws = await useIsolatedAws(t);
  const job = testJob();
  const producer = trace.getTracer('test').startSpan('submit job');
  await context.with(trace.setSpan(context.active(), producer), () =>
    submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job),
  );
  producer.end();

  const w = startInProcessWorker(t, aws);
  await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'COMPLETED' },
    { timeoutMs: 30_000 },
  );
  await w.worker.stop();
  await telemetry.forceFlush();

  const spans = exporter
    .getFinishedSpans()
    .filter((s) => s.spanContext().traceId === producer.spanContext().traceId);
  const named = (name: string): ReadableSpan => {
    const span = spans.find((s) => s.name === name || s.name.endsWith(` ${name}`));
    if (span === undefined)
      throw new Error(`no ${name} span in the trace; got ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };
  const consumer = named('process');
  t.is(consumer.kind, SpanKind.CONSUMER);
  t.like(consumer.attributes, {
    'image.job_id': job.jobId,
    'image.template': 'card',
    'messaging.outcome': 'ack',
  });
  t.like(consumer.attributes, { 'image.upload': 'uploaded' });
  const processSpans = spans.filter((s) => s.kind === SpanKind.CONSUMER && s.name.endsWith(' process'));
  t.is(processSpans.length, 1, 'one process span per job');
  const childrenOf = (span: ReadableSpan) =>
    spans.filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId);
  const children = childrenOf(consumer);
  const sdkChildren = (service: string, operation: string) =>
    children.filter(
      (s) => s.attributes['rpc.service'] === service && s.attributes['rpc.method'] === operation,
    );
  t.is(children.filter((s) => s.name === 'render').length, 1, 'render is a child of the job span');
  // acquire, the fenced write before the upload and COMPLETED (the event marker's removal is a
  // deferred call after the linger, shared with other jobs').
  t.true(sdkChildren('DynamoDB', 'UpdateItem').length >= 3, children.map((s) => s.name).join(', '));
  t.is(sdkChildren('S3', 'PutObject').length, 1);
  t.is(sdkChildren('SNS', 'Publish').length, 1);
  // No span of our own wraps a single AWS call any more: every other child is an SDK span.
  for (const child of children) {
    t.true(
      child.name === 'render' || child.attributes['rpc.system'] === 'aws-api',
      `${child.name} is render or an AWS SDK span`,
    );
  }
  // The HTTP instrumentation stays out of AWS calls (suppressInternalInstrumentation): no HTTP
  // client span anywhere in the job's trace.
  const http = spans.filter(
    (s) => s.attributes['http.request.method'] !== undefined && s.kind === SpanKind.CLIENT,
  );
  t.deepEqual(
    http.map((s) => s.name),
    [],
  );
  for (const sdkSpan of children.filter((s) => s.attributes['rpc.system'] === 'aws-api')) {
    t.deepEqual(childrenOf(sdkSpan), [], `${sdkSpan.name} has no child span`);
  }
  t.true(
    w.logs.filter((l) => l.jobId === job.jobId).every((l) => l.trace_id === producer.spanContext().traceId),
    'job logs carry the trace id',
  );
  // The completion event carries the job's trace context to its subscribers (raw delivery keeps it).
  const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.urls.imageJobEvents,
      WaitTimeSeconds: 5,
      MessageAttributeNames: ['All'],
    }),
  );
  const traceparent = Messages[0]?.MessageAttributes?.traceparent?.StringValue ?? '';
  t.is(traceparent.split('-')[1], producer.spanContext().traceId, 'the event continues the job trace');
});
