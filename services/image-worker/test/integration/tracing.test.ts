// One job, one trace: the CONSUMER process span (from the consumer lib) is parented to the producer;
// its children are the AWS SDK spans of the job's calls (ledger writes, upload, event) and `render`,
// with no HTTP client span under any of them. The SDK is started first, as --import does in a service.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '@platform/telemetry/sdk';
import test from 'ava';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ serviceName: 'image-worker-test', spanExporter: exporter, env: {} });
const { startRequestCounter, useIsolatedAws, waitFor, waitForItem } = await import('@platform/testkit');
const { createAwsClients } = await import('@platform/aws-resources');
const { IMAGE_JOB_COMPLETED_V1_EXAMPLES } = await import('@platform/contracts');
const { createJobEventPublisher } = await import('../../src/events/jobEvents.ts');
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
  // The completion event's publish is a span of its own in the job's trace (the event is sent in a
  // PublishBatch shared with other jobs' events; alone, as here, in a plain Publish, its child).
  const publishSpans = children.filter(
    (s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.system'] === 'aws_sns',
  );
  t.is(publishSpans.length, 1, children.map((s) => s.name).join(', '));
  const publish = publishSpans[0] as ReadableSpan;
  t.is(publish.attributes['image.job_id'], job.jobId);
  t.is(
    childrenOf(publish).filter(
      (s) => s.attributes['rpc.service'] === 'SNS' && s.attributes['rpc.method'] === 'Publish',
    ).length,
    1,
  );
  // Apart from render and that publish span, no span of our own: every other child is an SDK span.
  for (const child of children) {
    t.true(
      child.name === 'render' || child === publish || child.attributes['rpc.system'] === 'aws-api',
      `${child.name} is render, the event's publish or an AWS SDK span`,
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

test('completion events sent in one PublishBatch each carry their own job trace and get their own publish span', async (t) => {
  const aws = await useIsolatedAws(t);
  const sns = await startRequestCounter({ target: aws.endpoints.sns });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_SNS: sns.endpoint });
  t.teardown(async () => {
    clients.destroy();
    await sns.close();
  });
  // A long linger: the three events queued in one tick below always share a call.
  const publisher = createJobEventPublisher(
    { sns: clients.sns },
    { topicArn: aws.topics.imageJobEvents, lingerMs: 1_000 },
  );
  const jobs = ['a', 'b', 'c'].map((suffix) => ({
    span: trace.getTracer('test').startSpan(`job ${suffix}`),
    payload: {
      ...IMAGE_JOB_COMPLETED_V1_EXAMPLES[0]!,
      jobId: `batch-${suffix}-${Date.now()}`,
    },
  }));

  const results = await Promise.all(jobs.map((job) => publisher.publishSoon(job.payload, job.span)));
  for (const job of jobs) job.span.end();
  await telemetry.forceFlush();

  t.true(results.every((r) => r.ok));
  t.is(sns.count({ operation: 'PublishBatch' }), 1);
  t.is(sns.count({ operation: 'Publish' }), 0);
  const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
  const received: Array<{ jobId: string; traceId: string }> = [];
  await waitFor(
    async () => {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobEvents,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const m of Messages) {
        received.push({
          jobId: (JSON.parse(m.Body ?? '{}') as { jobId: string }).jobId,
          traceId: (m.MessageAttributes?.traceparent?.StringValue ?? '').split('-')[1] ?? '',
        });
      }
      return received.length >= jobs.length;
    },
    { description: 'the three events on the subscription queue', timeoutMs: 20_000 },
  );
  const finished = exporter.getFinishedSpans();
  for (const job of jobs) {
    const traceId = job.span.spanContext().traceId;
    t.is(
      received.find((r) => r.jobId === job.payload.jobId)?.traceId,
      traceId,
      `${job.payload.jobId}'s own trace`,
    );
    const own = finished.filter(
      (s) =>
        s.spanContext().traceId === traceId &&
        s.kind === SpanKind.PRODUCER &&
        s.parentSpanContext?.spanId === job.span.spanContext().spanId,
    );
    t.is(own.length, 1, `one publish span in ${job.payload.jobId}'s trace`);
  }
});
