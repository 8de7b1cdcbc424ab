// One trace across a real SQS hop (fauxqs), with the SDK started as services start it and the
// spans read from an in-memory exporter. AWS SDK and fauxqs are imported only after
// startTelemetry, as in a service: modules loaded earlier are not instrumented.
import test from 'ava';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '../../src/startTelemetry.ts';
import { injectTraceContext, type SqsAttributes } from '../../src/sqsPropagation.ts';
import { withProcessSpan } from '../../src/processSpan.ts';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ serviceName: 'trace-test', spanExporter: exporter, env: {} });
const { startFauxqs } = await import('fauxqs');
const { SQSClient, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand } =
  await import('@aws-sdk/client-sqs');

test.after.always(async () => {
  await telemetry.shutdown();
});

test('producer, send, and process spans share one trace; process is parented to and linked with the send', async (t) => {
  const server = await startFauxqs({ port: 0, logger: false });
  t.teardown(() => server.stop());
  const { queueUrl } = server.createQueue('trace-memory');
  // fauxqs accepts any credentials; the region must match the queue's (us-east-1 by default).
  const sqs = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  t.teardown(() => sqs.destroy());

  const tracer = trace.getTracer('test');
  const producer = tracer.startSpan('produce job');
  const attributes: SqsAttributes = { contract: { DataType: 'String', StringValue: 'image.job.requested' } };
  await context.with(trace.setSpan(context.active(), producer), async () => {
    injectTraceContext(attributes);
    // The instrumentation injects at send time (room: 1 + 3 <= 10), so ours stayed out.
    t.false('traceparent' in attributes);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}', MessageAttributes: attributes }),
    );
  });
  producer.end();

  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
  );
  const message = received.Messages?.[0];
  if (message === undefined) return t.fail('no message received');
  const traceAttributes = Object.keys(message.MessageAttributes ?? {}).filter((key) => key === 'traceparent');
  t.is(traceAttributes.length, 1);

  await withProcessSpan(message, { queueUrl }, async () => {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  });

  await telemetry.forceFlush();
  const spans = exporter.getFinishedSpans();
  const byName = (name: string): ReadableSpan => {
    const span = spans.find((candidate) => candidate.name === name);
    if (span === undefined) throw new Error(`no span ${name}; got ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };
  const produce = byName('produce job');
  const send = byName('trace-memory send');
  const process = byName('trace-memory process');
  const processSpans = spans.filter((span) => span.name.endsWith(' process'));

  t.is(send.kind, SpanKind.PRODUCER);
  t.is(send.parentSpanContext?.spanId, produce.spanContext().spanId);
  t.is(process.kind, SpanKind.CONSUMER);
  t.is(processSpans.length, 1, 'exactly one process span per message (the instrumentation adds none)');
  t.is(process.spanContext().traceId, produce.spanContext().traceId);
  t.is(process.parentSpanContext?.spanId, send.spanContext().spanId);
  t.deepEqual(
    process.links.map((link) => link.context.spanId),
    [send.spanContext().spanId],
  );
  t.like(process.attributes, {
    'messaging.system': 'aws_sqs',
    'messaging.operation.type': 'process',
    'messaging.destination.name': 'trace-memory',
    'messaging.message.id': message.MessageId,
    'platform.message.contract': 'image.job.requested',
  });
  // The receive span made by the instrumentation only links to the producer.
  const receive = byName('trace-memory receive');
  t.is(receive.links[0]?.context.traceId, produce.spanContext().traceId);
});

async function sendAndReceive(
  queueName: string,
  send: (sqs: InstanceType<typeof SQSClient>, queueUrl: string) => Promise<void>,
): Promise<SqsAttributes | undefined> {
  const server = await startFauxqs({ port: 0, logger: false });
  try {
    const { queueUrl } = server.createQueue(queueName);
    const sqs = new SQSClient({
      endpoint: server.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await send(sqs, queueUrl);
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
      );
      return received.Messages?.[0]?.MessageAttributes;
    } finally {
      sqs.destroy();
    }
  } finally {
    await server.stop();
  }
}

test('with no room for the instrumentation (8 own attributes + 3 > 10), ours is the one injection', async (t) => {
  const attributes: SqsAttributes = {};
  for (let i = 0; i < 8; i += 1) attributes[`a${i}`] = { DataType: 'String', StringValue: String(i) };
  const span = trace.getTracer('test').startSpan('produce full');
  const received = await sendAndReceive('trace-full', (sqs, queueUrl) =>
    context.with(trace.setSpan(context.active(), span), async () => {
      injectTraceContext(attributes);
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}', MessageAttributes: attributes }),
      );
    }),
  );
  span.end();
  const ours = `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;
  t.is(received?.['traceparent']?.StringValue, ours);
});

test('a message that already carries a traceparent keeps it, although the instrumentation has room', async (t) => {
  // E.g. a relay or DLQ redrive forwarding the original producer's context.
  const original = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const attributes: SqsAttributes = { traceparent: { DataType: 'String', StringValue: original } };
  const span = trace.getTracer('test').startSpan('relay');
  const received = await sendAndReceive('trace-relay', (sqs, queueUrl) =>
    context.with(trace.setSpan(context.active(), span), async () => {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}', MessageAttributes: attributes }),
      );
    }),
  );
  span.end();
  t.is(received?.['traceparent']?.StringValue, original);
});

test('an AWS call is one SDK span under the active span, with no HTTP client span; a plain HTTP request keeps its own', async (t) => {
  const server = await startFauxqs({ port: 0, logger: false });
  t.teardown(() => server.stop());
  const { queueUrl } = server.createQueue('trace-shape');
  const sqs = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  t.teardown(() => sqs.destroy());
  // The default export is the CommonJS module object, which the instrumentation patched when the
  // SDK first required node:http (the ESM named exports are a snapshot).
  const { default: http } = await import('node:http');

  const parent = trace.getTracer('test').startSpan('job');
  await context.with(trace.setSpan(context.active(), parent), async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' }));
    await new Promise<void>((resolve, reject) => {
      http.get(`${server.address}/`, (response) => response.resume().on('end', resolve)).on('error', reject);
    });
  });
  parent.end();

  await telemetry.forceFlush();
  const spans = exporter
    .getFinishedSpans()
    .filter((span) => span.spanContext().traceId === parent.spanContext().traceId);
  const children = spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
  const sdk = children.filter((span) => span.attributes['rpc.system'] === 'aws-api');
  t.deepEqual(
    sdk.map((span) => span.attributes['rpc.method']),
    ['SendMessage'],
  );
  const childrenOfSdk = spans.filter(
    (span) => span.parentSpanContext?.spanId === sdk[0]?.spanContext().spanId,
  );
  t.deepEqual(
    childrenOfSdk.map((span) => span.name),
    [],
    'no HTTP client span under the SDK span',
  );
  const httpClient = spans.filter(
    (span) => span.kind === SpanKind.CLIENT && span.attributes['http.request.method'] !== undefined,
  );
  t.deepEqual(
    httpClient.map((span) => span.attributes['http.request.method']),
    ['GET'],
    'only the plain request is traced over HTTP',
  );
});
