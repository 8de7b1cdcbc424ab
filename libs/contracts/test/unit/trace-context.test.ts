import test from 'ava';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  StackContextManager,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { IMAGE_JOB_REQUESTED_V1_EXAMPLES, decodeMessage, encodeMessage } from '@platform/contracts';
import { extractTraceContext } from '@platform/telemetry';
import { asReceived } from '../helpers/asReceived.ts';

// Global OTel registration is per process; ava runs each test file in its own process.
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new StackContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracer = trace.getTracer('contracts-test');

test.after.always(async () => {
  await provider.shutdown();
});

const job = IMAGE_JOB_REQUESTED_V1_EXAMPLES[0]!;

test('encode injects the active span as traceparent', (t) => {
  const { encoded, traceId, spanId } = tracer.startActiveSpan('publish image job', (span) => {
    try {
      return {
        encoded: encodeMessage('image.job.requested', job),
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      };
    } finally {
      span.end();
    }
  });
  t.is(encoded.MessageAttributes['traceparent']?.StringValue, `00-${traceId}-${spanId}-01`);
  t.is(encoded.MessageAttributes['traceparent']?.DataType, 'String');

  // The consumer side reads the same context back, next to the decoded payload.
  const received = asReceived(encoded);
  t.is(decodeMessage(received).contract, 'image.job.requested');
  t.is(trace.getSpanContext(extractTraceContext(received.MessageAttributes))?.traceId, traceId);
});

test('encode injects an explicitly given context', (t) => {
  const span = tracer.startSpan('background publish');
  const encoded = encodeMessage('image.job.requested', job, {
    context: trace.setSpan(context.active(), span),
  });
  span.end();
  t.true(encoded.MessageAttributes['traceparent']?.StringValue?.includes(span.spanContext().traceId));
});

test('without an active span no trace attributes are written', (t) => {
  const encoded = encodeMessage('image.job.requested', job);
  t.deepEqual(Object.keys(encoded.MessageAttributes).sort(), [
    'content-type',
    'contract',
    'contract-version',
  ]);
});
