import test from 'ava';
import { waitFor, WaitTimeoutError } from '../../src/index.ts';

test('waitFor returns the first truthy value the probe produces', async (t) => {
  let calls = 0;
  const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), {
    description: 'the third call',
    intervalMs: 1,
  });
  t.deepEqual(value, { calls: 3 });
});

test('waitFor treats a throwing probe as "not yet"', async (t) => {
  let calls = 0;
  const value = await waitFor(
    () => {
      if (++calls < 2) throw new Error('not ready');
      return 'ready';
    },
    { description: 'readiness', intervalMs: 1 },
  );
  t.is(value, 'ready');
});

test('waitFor fails at the deadline naming what it waited for and the last value', async (t) => {
  const error = await t.throwsAsync(
    waitFor(() => ({ status: 'PENDING' }).status === 'DONE', {
      description: 'job 42 to complete',
      timeoutMs: 120,
      intervalMs: 20,
    }),
  );
  t.true(error instanceof WaitTimeoutError);
  t.regex(
    error.message,
    /Timed out after 120 ms .* waiting for job 42 to complete; last observed value: false/,
  );
});

test('waitFor reports the last error when the probe kept throwing', async (t) => {
  const error = await t.throwsAsync(
    waitFor(
      () => {
        throw new Error('item is {"status":"PROCESSING"}');
      },
      { description: 'job to complete', timeoutMs: 60, intervalMs: 10 },
    ),
  );
  t.regex(error.message, /last attempt threw Error: item is \{"status":"PROCESSING"\}/);
});
