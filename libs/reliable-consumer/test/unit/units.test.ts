import { PermanentError } from '@platform/errors';
import test from 'ava';
import { deadLetterCopyAttributes } from '../../src/consumer/dlq.ts';
import { resolveOptions } from '../../src/consumer/validateOptions.ts';
import { backoffDelaySeconds, InvalidOptionsError, type ReliableConsumerOptions } from '../../src/index.ts';

test('backoff: full jitter under an exponential cap on the receive count, bounded by maxSeconds', (t) => {
  const options = { baseSeconds: 2, maxSeconds: 60 };
  const top = () => 0.999_999;
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelaySeconds(n, options, top)),
    [2, 4, 8, 16, 32, 60, 60, 60],
  );
  t.is(
    backoffDelaySeconds(5, options, () => 0),
    0,
    'full jitter reaches zero',
  );
  t.is(
    backoffDelaySeconds(3, options, () => 0.5),
    4,
  );
  t.is(backoffDelaySeconds(10_000, options, top), 60, 'no overflow on huge receive counts');
});

const str = (value: string) => ({ DataType: 'String', StringValue: value });
const why = {
  reason: 'TEMPLATE_UNKNOWN',
  detail: 'no such template',
  sourceQueueUrl: 'https://q/src',
  failedAt: new Date(0),
};

test('DLQ attributes: reason attributes added, envelope and trace kept', (t) => {
  const attributes = deadLetterCopyAttributes(
    {
      contract: str('image.job.requested'),
      'contract-version': str('1'),
      'content-type': str('application/json'),
      traceparent: str('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    },
    why,
  );
  t.is(attributes['dlq-reason']?.StringValue, 'TEMPLATE_UNKNOWN');
  t.is(attributes['dlq-detail']?.StringValue, 'no such template');
  t.is(attributes['dlq-source-queue']?.StringValue, 'https://q/src');
  t.is(attributes['dlq-failed-at']?.StringValue, '1970-01-01T00:00:00.000Z');
  t.truthy(attributes.traceparent);
  t.is(Object.keys(attributes).length, 8);
});

test('DLQ attributes: never more than 10 (SQS limit); dropped names are listed in dlq-detail', (t) => {
  const original = Object.fromEntries([
    ['contract', str('c')],
    ['contract-version', str('1')],
    ['content-type', str('application/json')],
    ['traceparent', str('tp')],
    ['tracestate', str('ts')],
    ['baggage', str('b')],
    ['x-extra-1', str('1')],
    ['x-extra-2', str('2')],
  ]);
  const attributes = deadLetterCopyAttributes(original, why);
  t.is(Object.keys(attributes).length, 10);
  t.truthy(attributes.contract);
  t.truthy(attributes.traceparent);
  t.truthy(attributes.baggage);
  t.falsy(attributes['x-extra-1']);
  t.regex(attributes['dlq-detail']?.StringValue ?? '', /dropped.*x-extra-1, x-extra-2/);
});

test('DLQ attributes: an empty detail is sent as "-" (SQS rejects empty values) and long ones are cut', (t) => {
  t.is(deadLetterCopyAttributes({}, { ...why, detail: '' })['dlq-detail']?.StringValue, '-');
  t.is(
    deadLetterCopyAttributes({}, { ...why, detail: 'x'.repeat(5000) })['dlq-detail']?.StringValue?.length,
    1024,
  );
});

const valid: ReliableConsumerOptions<'image.job.requested'> = {
  queueUrl: 'https://sqs/q',
  dlqUrl: 'https://sqs/q-dlq',
  name: 'worker',
  contracts: ['image.job.requested'],
  concurrency: 4,
  visibilityTimeoutSeconds: 30,
  heartbeatIntervalSeconds: 10,
  backoff: { baseSeconds: 1, maxSeconds: 60 },
  shutdownTimeoutMs: 25_000,
  handler: async () => ({ kind: 'ack' }),
};

test('options: defaults applied in one place', (t) => {
  const resolved = resolveOptions(valid);
  t.is(resolved.batchSize, 10);
  t.is(resolved.waitTimeSeconds, 20);
  t.is(resolved.maxVisibilitySeconds, 43_200);
});

test('options: every broken limit is reported at once, naming the limit', (t) => {
  const error = t.throws(
    () =>
      resolveOptions({
        ...valid,
        batchSize: 11,
        waitTimeSeconds: 21,
        concurrency: 0,
        visibilityTimeoutSeconds: 43_201,
        heartbeatIntervalSeconds: 50_000,
        maxVisibilitySeconds: 50_000,
        dlqUrl: valid.queueUrl,
      }),
    { instanceOf: InvalidOptionsError },
  );
  t.true(error instanceof PermanentError);
  const text = error?.problems.join('\n') ?? '';
  t.regex(text, /batchSize must be an integer between 1 and 10 \(SQS limit\), got 11/);
  t.regex(text, /waitTimeSeconds must be an integer between 0 and 20 \(SQS limit\), got 21/);
  t.regex(text, /concurrency must be an integer between 1 and 1000, got 0/);
  t.regex(
    text,
    /maxVisibilitySeconds must be an integer between 1 and 43200 \(SQS 12 h ceiling\), got 50000/,
  );
  t.regex(text, /dlqUrl must differ from queueUrl/);
});

test('options: the heartbeat must beat before visibility lapses', (t) => {
  const error = t.throws(() => resolveOptions({ ...valid, heartbeatIntervalSeconds: 30 }), {
    instanceOf: InvalidOptionsError,
  });
  t.regex(
    error?.message ?? '',
    /heartbeatIntervalSeconds must be > 0 and below visibilityTimeoutSeconds \(30\)/,
  );
});
