// One job, one trace: the CONSUMER process span (from the consumer lib) is parented to the producer,
// and the worker's own steps are its children. The SDK is started first, as --import does in a service.
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

test('a job is one CONSUMER span in the producer trace, with ledger.acquire, render, upload, ledger.complete and event.publish children', async (t) => {
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
  for (const child of ['ledger.acquire', 'render', 'upload', 'ledger.complete', 'event.publish']) {
    t.is(
      named(child).parentSpanContext?.spanId,
      consumer.spanContext().spanId,
      `${child} is a child of the job's span`,
    );
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
