import test from 'ava';
import { MIN_SIGNED_WINDOW_MS, signingWindow } from '../../src/index.ts';

const at = (iso: string) => Date.parse(iso);

test("the expiry is the deadline rounded down to S3's whole second, signed at the current second", (t) => {
  const now = at('2026-12-02T10:00:00.700Z');
  const window = signingWindow(now, 2_500); // deadline 10:00:03.200
  t.deepEqual(window, {
    signingDate: new Date(at('2026-12-02T10:00:00.000Z')),
    expiresIn: 3,
    expiresAt: at('2026-12-02T10:00:03.000Z'),
  });
});

test('the expiry is never after the deadline, and always after now, for any moment in the second', (t) => {
  for (let ms = 0; ms < 1000; ms += 37) {
    const now = at('2026-12-02T10:00:00.000Z') + ms;
    for (const remaining of [MIN_SIGNED_WINDOW_MS, 1_234, 3_999, 60_000]) {
      const window = signingWindow(now, remaining);
      if (window === undefined) {
        t.fail(`no window at +${ms} ms with ${remaining} ms left`);
        continue;
      }
      t.true(window.expiresAt <= now + remaining, `expiry after the deadline at +${ms}/${remaining}`);
      t.true(window.expiresAt > now, `already expired at +${ms}/${remaining}`);
      t.is(window.signingDate.getTime() + window.expiresIn * 1000, window.expiresAt);
      t.true(window.signingDate.getTime() <= now, 'never signed in the future');
    }
  }
});

test('no window when no whole second lies between now and the deadline, or the input is not a time', (t) => {
  const now = at('2026-12-02T10:00:00.300Z');
  t.is(signingWindow(now, 600), undefined, 'deadline 10:00:00.900: the same second');
  t.is(signingWindow(now, 0), undefined);
  t.is(signingWindow(now, -5_000), undefined, 'a deadline already past');
  t.is(signingWindow(Number.NaN, 5_000), undefined);
  t.is(signingWindow(now, Number.POSITIVE_INFINITY), undefined);
  t.is(signingWindow(now, 700)?.expiresIn, 1, 'deadline 10:00:01.000 exactly is still one second');
});

test("a very long lease is capped at SigV4's longest validity (a week)", (t) => {
  const window = signingWindow(at('2026-12-02T10:00:00.000Z'), 30 * 24 * 3_600_000);
  t.is(window?.expiresIn, 604_800);
});
