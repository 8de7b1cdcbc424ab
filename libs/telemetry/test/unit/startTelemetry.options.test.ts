// OTEL_SDK_DISABLED in-process: the SDK reads process.env, so this file (its own ava worker
// process) sets it before startTelemetry.
import test from 'ava';
import { trace } from '@opentelemetry/api';
import { activeTelemetry, startTelemetry } from '../../src/startTelemetry.ts';

test('OTEL_SDK_DISABLED=true starts nothing and returns an inert, stoppable handle', async (t) => {
  process.env['OTEL_SDK_DISABLED'] = 'true';
  t.teardown(() => delete process.env['OTEL_SDK_DISABLED']);
  const handle = startTelemetry({ serviceName: 'options-test' });
  t.false(handle.exportsTraces);
  t.false(handle.exportsMetrics);
  t.is(activeTelemetry(), handle);
  t.false(trace.getTracer('probe').startSpan('probe').isRecording(), 'no SDK tracer is registered');
  t.throws(() => startTelemetry({ serviceName: 'options-test' }), { message: /already called/ });
  await handle.forceFlush();
  await handle.shutdown();
  t.is(activeTelemetry(), undefined);
});
