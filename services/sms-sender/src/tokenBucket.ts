import { setTimeout as delay } from 'node:timers/promises';

export interface TokenBucketDeps {
  /** Milliseconds, monotonic in production (performance.now); injected so tests move time by hand. */
  clock?: () => number;
  /** Waits `ms` or rejects when `signal` aborts; injected alongside the clock. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export interface TokenBucketOptions {
  /** Sustained rate: tokens added per second. */
  ratePerSecond: number;
  /**
   * Most tokens the bucket holds (the largest burst). Default 1: strictly paced sends, so no
   * one-second window ever sees more than `ratePerSecond` + 1. A burst of B lets the first second
   * carry B + rate sends, which a per-second provider quota may throttle (see bench/tokenBucket.ts).
   */
  burst?: number;
}

export interface TokenBucket {
  /**
   * Waits for a token and takes it; resolves with the ms waited. Waiters are served in call order
   * (each call reserves its token at once and sleeps until the reservation is due). If `signal`
   * aborts while waiting, the reservation is handed back and the promise rejects with the reason.
   */
  take(signal?: AbortSignal): Promise<number>;
  /** Tokens available now (negative: reserved by waiters). For tests and metrics. */
  available(): number;
}

/**
 * A client-side token bucket in front of the SMS provider, shared by every concurrency slot in the
 * process, so a burst of invitations becomes a paced stream instead of provider throttling errors.
 *
 * Hand-written rather than a library because the accounting must run on an injected clock (tests
 * prove the arithmetic without timers) and waiters must be cancellable with an AbortSignal on
 * shutdown; the bucket itself is a dozen lines.
 */
export function createTokenBucket(deps: TokenBucketDeps, options: TokenBucketOptions): TokenBucket {
  const { ratePerSecond } = options;
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  const burst = options.burst ?? 1;
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError(`burst must be at least 1, got ${burst}`);

  const clock = deps.clock ?? (() => performance.now());
  const sleep =
    deps.sleep ?? ((ms: number, signal: AbortSignal | undefined) => delay(ms, undefined, { signal }));
  const msPerToken = 1000 / ratePerSecond;

  let tokens = burst;
  let refilledAt = clock();

  function refill(): void {
    const now = clock();
    tokens = Math.min(burst, tokens + (now - refilledAt) / msPerToken);
    refilledAt = now;
  }

  return {
    async take(signal) {
      signal?.throwIfAborted();
      refill();
      tokens -= 1;
      if (tokens >= 0) return 0;
      // Negative balance = tokens promised to earlier waiters; ours is due when the balance is back to 0.
      const waitMs = -tokens * msPerToken;
      try {
        await sleep(waitMs, signal);
      } catch (error) {
        refill();
        tokens += 1;
        throw error;
      }
      return waitMs;
    },
    available() {
      refill();
      return tokens;
    },
  };
}
