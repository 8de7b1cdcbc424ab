/**
 * Time windows of the limits. Fixed windows keyed by their start: a counter item per window needs no
 * cleanup for correctness (a new window is a new key) and the TTL attribute only garbage-collects.
 */

export interface TimeWindow {
  /** Stable key of the window, part of the counter item's sort key. */
  key: string;
  startsAt: number;
  /** Epoch ms at which the next window begins. */
  endsAt: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The UTC calendar day containing `now`: the per-user quota window (see docs/invitations.md). */
export function utcDayWindow(now: number): TimeWindow {
  const startsAt = Math.floor(now / DAY_MS) * DAY_MS;
  return { key: new Date(startsAt).toISOString().slice(0, 10), startsAt, endsAt: startsAt + DAY_MS };
}

/** The UTC clock hour containing `now`: the global SMS ceiling window. */
export function utcHourWindow(now: number): TimeWindow {
  const startsAt = Math.floor(now / HOUR_MS) * HOUR_MS;
  return { key: new Date(startsAt).toISOString().slice(0, 13), startsAt, endsAt: startsAt + HOUR_MS };
}

/** A window of `sizeSeconds` aligned to the epoch: the per-IP request limit. */
export function fixedWindow(now: number, sizeSeconds: number): TimeWindow {
  const size = sizeSeconds * 1000;
  const startsAt = Math.floor(now / size) * size;
  return { key: String(startsAt / 1000), startsAt, endsAt: startsAt + size };
}

/** Whole seconds until `until`, at least 1: the value of a Retry-After header. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** DynamoDB TTL attributes are epoch seconds. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export const ONE_DAY_MS = DAY_MS;
export const ONE_HOUR_MS = HOUR_MS;
