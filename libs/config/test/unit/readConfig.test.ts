import test from 'ava';
import { ConfigError } from '@platform/errors';
import { intInRange, list, numberInRange, readConfig, str, url } from '../../src/index.ts';

const spec = {
  QUEUE_URL: url(),
  CONCURRENCY: intInRange(1, 64)({ default: 4 }),
  FAILURE_RATE: numberInRange(0, 1)({ default: 0 }),
  COUNTRIES: list({ default: ['US'] }),
  LOG_LEVEL: str({ choices: ['debug', 'info', 'warn', 'error'], default: 'info' }),
};

test('reads and types valid values, applying defaults', (t) => {
  const config = readConfig(spec, { QUEUE_URL: 'http://127.0.0.1:1/q', COUNTRIES: 'US, CA,,GB' });
  t.is(config.QUEUE_URL, 'http://127.0.0.1:1/q');
  t.is(config.CONCURRENCY, 4);
  t.deepEqual(config.COUNTRIES, ['US', 'CA', 'GB']);
  t.is(config.LOG_LEVEL, 'info');
});

test('reports every bad variable at once, naming variable, rule and received value', (t) => {
  const error = t.throws(
    () => readConfig(spec, { CONCURRENCY: '100', FAILURE_RATE: 'abc', LOG_LEVEL: 'loud' }),
    {
      instanceOf: ConfigError,
    },
  );
  const text = error.problems.join('\n');
  t.regex(text, /QUEUE_URL: required, but it is not set/);
  t.regex(text, /CONCURRENCY: .*between 1 and 64.*received "100"/);
  t.regex(text, /FAILURE_RATE: .*between 0 and 1.*received "abc"/);
  t.regex(text, /LOG_LEVEL: .*received "loud"/);
  t.is(error.problems.length, 4);
});
