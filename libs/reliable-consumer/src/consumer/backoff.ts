import type { BackoffOptions } from './types.ts';

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform draw in [0, min(max, base * 2^(n-1))] whole seconds, n = ApproximateReceiveCount.
 * Full jitter spreads a burst of failures (an outage of a dependency) instead of retrying in lockstep.
 */
export function backoffDelaySeconds(
  receiveCount: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const exponent = Math.max(0, receiveCount - 1);
  // 2^exponent overflows to Infinity long after it passes any sane cap; Math.min keeps it bounded.
  const cap = Math.min(options.maxSeconds, options.baseSeconds * 2 ** Math.min(exponent, 30));
  return Math.min(cap, Math.floor(random() * (cap + 1)));
}
