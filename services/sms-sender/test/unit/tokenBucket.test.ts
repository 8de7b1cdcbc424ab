// Token accounting on an injected clock: no timers, no timed assertions. The throughput figures
// come from `bench/tokenBucket.ts`.
import test from 'ava';
import { createTokenBucket } from '../../src/tokenBucket.ts';

/** A manual clock and a sleep that records what it was asked and resolves when told. */
function manualTime() {
  let now = 0;
  const sleeps: Array<{ ms: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  return {
    clock: () => now,
    advance: (ms: number) => (now += ms),
    sleeps,
    sleep: (ms: number, signal: AbortSignal | undefined) =>
      new Promise<void>((resolve, reject) => {
        const entry = { ms, resolve, reject };
        sleeps.push(entry);
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
  };
}

test('a full bucket serves a burst at once, then one token per 1/rate seconds', async (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 20, burst: 20 });

  for (let i = 0; i < 20; i++) t.is(await bucket.take(), 0);
  t.is(bucket.available(), 0);

  // The 21st must wait one token's time: 1000 / 20 = 50 ms.
  const pending = bucket.take();
  t.is(time.sleeps.length, 1);
  t.is(time.sleeps[0]!.ms, 50);
  time.advance(50);
  time.sleeps[0]!.resolve();
  t.is(await pending, 50);
  t.is(bucket.available(), 0);
});

test('waiters are queued: each reserves the next free slot in call order', (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 10, burst: 1 });

  void bucket.take(); // the one token
  void bucket.take();
  void bucket.take();
  void bucket.take();

  t.deepEqual(
    time.sleeps.map((s) => Math.round(s.ms)),
    [100, 200, 300],
  );
  t.is(Math.round(bucket.available()), -3);
});

test('tokens refill with elapsed time and never beyond the burst size', (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 5, burst: 3 });

  void bucket.take();
  void bucket.take();
  void bucket.take();
  t.is(bucket.available(), 0);
  time.advance(200); // one token at 5/s
  t.is(bucket.available(), 1);
  time.advance(60_000);
  t.is(bucket.available(), 3);
});

test('an aborted waiter hands its reservation back', async (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 1, burst: 1 });
  await bucket.take();
  const controller = new AbortController();

  const waiting = bucket.take(controller.signal);
  t.is(bucket.available(), -1);
  controller.abort(new Error('shutting down'));

  await t.throwsAsync(waiting, { message: 'shutting down' });
  t.is(bucket.available(), 0);
});

test('a signal aborted before take() takes nothing', async (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 1, burst: 1 });
  const controller = new AbortController();
  controller.abort(new Error('already stopped'));

  await t.throwsAsync(bucket.take(controller.signal), { message: 'already stopped' });
  t.is(bucket.available(), 1);
});

test('by default sends are strictly paced (burst 1); fractional rates are allowed', async (t) => {
  const time = manualTime();
  const bucket = createTokenBucket(time, { ratePerSecond: 0.5 });
  t.is(bucket.available(), 1);
  await bucket.take();
  void bucket.take();
  t.is(time.sleeps[0]?.ms, 2000);
});

test('nonsense rates are refused at construction', (t) => {
  t.throws(() => createTokenBucket({}, { ratePerSecond: 0 }), {
    instanceOf: RangeError,
    message: /ratePerSecond/,
  });
  t.throws(() => createTokenBucket({}, { ratePerSecond: 5, burst: 0.5 }), {
    instanceOf: RangeError,
    message: /burst/,
  });
});
