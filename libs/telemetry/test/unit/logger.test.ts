import test from 'ava';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger, maskPhone } from '../../src/index.ts';

// A provider and context manager, registered for this file's process only (ava runs each test
// file in its own process), so spans are real and active; no SDK, no instrumentation.
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const provider = new TracerProvider();
trace.setGlobalTracerProvider(provider);
test.after.always(async () => {
  await provider.shutdown();
  context.disable();
  trace.disable();
});

function collectingLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Array<Record<string, unknown>>;
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ service: 'logger-test', destination, base: { component: 'unit' } });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

for (const [input, expected] of [
  ['+14155552671', '+1415***2671'],
  ['+447911123456', '+4479***3456'],
  ['+1 (415) 555-2671', '+1415***2671'],
  ['+3361234567', '+3361***4567'],
  ['+4930123', '+49***23'],
  ['123', '[REDACTED]'],
  ['alice@example.com', '[REDACTED]'],
  [42, '[REDACTED]'],
  [undefined, '[REDACTED]'],
] as const) {
  test(`maskPhone(${JSON.stringify(input)}) -> ${expected}`, (t) => {
    t.is(maskPhone(input), expected);
  });
}

test('log lines carry service, base fields and the active span', (t) => {
  const { logger, lines } = collectingLogger();
  const span = trace.getTracer('test').startSpan('work');
  context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
  span.end();
  logger.info('outside');
  const [inside, outside] = lines();
  t.like(inside, {
    service: 'logger-test',
    component: 'unit',
    level: 'info',
    msg: 'inside',
    trace_id: span.spanContext().traceId,
    span_id: span.spanContext().spanId,
    trace_flags: '01',
  });
  t.false(outside !== undefined && 'trace_id' in outside);
});

test('tokens are redacted and phone numbers masked, nested and in child bindings', (t) => {
  const { logger, lines } = collectingLogger();
  logger.info(
    {
      phoneNumber: '+14155552671',
      req: { headers: { authorization: 'Bearer eyJhbGciOi', host: 'api' } },
      sms: { to: '+447911123456', text: 'Join me' },
      auth: { jwt: 'eyJ', token: 'abc', password: 'hunter2', secret: 's3' },
      nested: { deeper: { phone: '+14155552671', refreshToken: 'r' } },
    },
    'request',
  );
  logger.child({ phone: '+14155552671' }).warn('child');
  // A child of a child, and deeper than three levels: redaction runs in the walk, at any depth.
  logger
    .child({ consumer: 'c' })
    .child({ auth: { token: 'abc' } })
    .info({ a: { b: { c: { d: { password: 'hunter2', to: '+447911123456' } } } } }, 'deep');
  const [first, second, third] = lines();
  t.like(third, {
    consumer: 'c',
    auth: { token: '[REDACTED]' },
    a: { b: { c: { d: { password: '[REDACTED]', to: '+4479***3456' } } } },
  });
  t.like(first, {
    phoneNumber: '+1415***2671',
    req: { headers: { authorization: '[REDACTED]', host: 'api' } },
    sms: { to: '+4479***3456', text: 'Join me' },
    auth: { jwt: '[REDACTED]', token: '[REDACTED]', password: '[REDACTED]', secret: '[REDACTED]' },
    nested: { deeper: { phone: '+1415***2671', refreshToken: '[REDACTED]' } },
  });
  t.like(second, { phone: '+1415***2671' });
  const raw = JSON.stringify(lines());
  for (const secret of ['4155552671', '7911123456', 'eyJ', 'hunter2', 's3"', 'abc"']) {
    t.false(raw.includes(secret), `${secret} leaked`);
  }
});
