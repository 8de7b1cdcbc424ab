// startTelemetry's refusals and the OTEL_SDK_DISABLED path; neither registers any global, so one
// worker process can run both (serially: both use the process-wide handle slot).
import test from 'ava';
import { trace } from '@opentelemetry/api';
import { activeTelemetry, startTelemetry } from '../../src/startTelemetry.ts';

test.serial('an OTLP endpoint without its exporter is refused, naming loadOtlpExporters', (t) => {
  const error = t.throws(() =>
    startTelemetry({
      serviceName: 'options-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
    }),
  );
  t.regex(error?.message ?? '', /loadOtlpExporters/);
  t.is(activeTelemetry(), undefined);
});

test.serial('OTEL_SDK_DISABLED=true starts nothing and returns an inert, stoppable handle', async (t) => {
  const handle = startTelemetry({ serviceName: 'options-test', env: { OTEL_SDK_DISABLED: 'true' } });
  t.false(handle.exportsTraces);
  t.false(handle.exportsMetrics);
  t.is(activeTelemetry(), handle);
  t.false(trace.getTracer('probe').startSpan('probe').isRecording(), 'no SDK tracer is registered');
  await handle.forceFlush();
  await handle.shutdown();
  t.is(activeTelemetry(), undefined);
});
