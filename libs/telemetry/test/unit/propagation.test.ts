import test from 'ava';
import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { createPropagator } from '../../src/propagator.ts';
import {
  extractTraceContext,
  injectTraceContext,
  writeTraceContext,
  type SqsAttributes,
} from '../../src/index.ts';
import { setSqsInjectionByInstrumentation } from '../../src/sqsPropagation.ts';

propagation.setGlobalPropagator(createPropagator());
test.after.always(() => {
  propagation.disable();
  setSqsInjectionByInstrumentation(false);
});

const remote = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

test.serial('without the instrumentation, inject writes traceparent and extract reads it back', (t) => {
  setSqsInjectionByInstrumentation(false);
  const attributes = injectTraceContext({}, remote);
  t.deepEqual(attributes['traceparent'], {
    DataType: 'String',
    StringValue: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  t.is(trace.getSpanContext(extractTraceContext(attributes, ROOT_CONTEXT))?.spanId, 'b7ad6b7169203331');
  t.is(trace.getSpanContext(extractTraceContext(undefined, ROOT_CONTEXT)), undefined);
});

test.serial('with the instrumentation active, we leave injection to it only while it has room', (t) => {
  setSqsInjectionByInstrumentation(true);
  const roomy: SqsAttributes = {};
  for (let i = 0; i < 7; i += 1) roomy[`a${i}`] = { DataType: 'String', StringValue: 'x' };
  t.false('traceparent' in injectTraceContext(roomy, remote), '7 + 3 <= 10: the instrumentation injects');
  const full: SqsAttributes = { ...roomy, a7: { DataType: 'String', StringValue: 'x' } };
  t.true('traceparent' in injectTraceContext(full, remote), '8 + 3 > 10: we inject');
});

test.serial(
  'the propagator never overwrites a message attribute traceparent, but does inject into headers',
  (t) => {
    const original = {
      DataType: 'String',
      StringValue: '00-11111111111111111111111111111111-2222222222222222-01',
    };
    const attributes: SqsAttributes = { traceparent: original };
    context.with(remote, () =>
      propagation.inject(context.active(), attributes, {
        set: (carrier, key, value) => {
          carrier[key] = { DataType: 'String', StringValue: value };
        },
      }),
    );
    t.is(attributes['traceparent'], original);
    const headers: Record<string, string> = { traceparent: 'stale' };
    propagation.inject(remote, headers);
    t.is(headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  },
);

test.serial(
  "writeTraceContext writes the given context even with the instrumentation active (a batch's entries)",
  (t) => {
    setSqsInjectionByInstrumentation(true);
    const attributes = writeTraceContext({ a: { DataType: 'String', StringValue: 'x' } }, remote);
    t.is(attributes['traceparent']?.StringValue, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const kept = {
      DataType: 'String',
      StringValue: '00-11111111111111111111111111111111-2222222222222222-01',
    };
    t.is(writeTraceContext({ traceparent: kept }, remote)['traceparent'], kept, 'one already there stays');
    const full: SqsAttributes = {};
    for (let i = 0; i < 8; i += 1) full[`a${i}`] = { DataType: 'String', StringValue: 'x' };
    t.false('traceparent' in writeTraceContext(full, remote), 'no room: left alone');
  },
);
