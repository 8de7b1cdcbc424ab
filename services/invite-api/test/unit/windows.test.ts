import test from 'ava';
import { fixedWindow, secondsUntil, utcDayWindow, utcHourWindow } from '../../src/domain/windows.ts';

const at = (iso: string) => Date.parse(iso);

test('the daily window is the UTC calendar day, whatever the time of day', (t) => {
  for (const iso of ['2025-01-31T00:00:00.000Z', '2025-01-31T12:34:56.789Z', '2025-01-31T23:59:59.999Z']) {
    const day = utcDayWindow(at(iso));
    t.is(day.key, '2025-01-31');
    t.is(day.startsAt, at('2025-01-31T00:00:00.000Z'));
    t.is(day.endsAt, at('2025-02-01T00:00:00.000Z'));
  }
  t.is(utcDayWindow(at('2025-02-01T00:00:00.000Z')).key, '2025-02-01');
});

test('the hourly window is the UTC clock hour', (t) => {
  const hour = utcHourWindow(at('2025-01-31T13:59:59.999Z'));
  t.is(hour.key, '2025-01-31T13');
  t.is(hour.endsAt, at('2025-01-31T14:00:00.000Z'));
});

test('fixed windows are aligned to the epoch', (t) => {
  const window = fixedWindow(at('2025-01-31T12:00:59.000Z'), 60);
  t.is(window.startsAt, at('2025-01-31T12:00:00.000Z'));
  t.is(window.endsAt, at('2025-01-31T12:01:00.000Z'));
  t.is(window.key, String(at('2025-01-31T12:00:00.000Z') / 1000));
});

test('Retry-After is whole seconds, rounded up, at least 1', (t) => {
  t.is(secondsUntil(10_000, 0), 10);
  t.is(secondsUntil(10_001, 0), 11);
  t.is(secondsUntil(5, 0), 1);
  t.is(secondsUntil(0, 5), 1);
});
