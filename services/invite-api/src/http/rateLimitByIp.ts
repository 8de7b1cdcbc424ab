import { retryLaterError } from '../errors.ts';
import type { IpRateLimiter } from '../store/IpRateLimiter.ts';
import { clientKey } from './clientKey.ts';
import type { AppMiddleware } from './types.ts';

/**
 * Per-client-address request limit, before authentication, so token guessing and floods are limited
 * too. `ctx.ip` honours X-Forwarded-For only when the app trusts its proxy (app.proxy, maxIpsCount).
 */
export function rateLimitByIp(limiter: IpRateLimiter): AppMiddleware {
  return async (ctx, next) => {
    const decision = await limiter.hit(clientKey(ctx.ip));
    if (!decision.allowed) {
      throw retryLaterError(
        'RATE_LIMITED_IP',
        'Too many requests from your network; slow down',
        decision.retryAfterSeconds,
      );
    }
    await next();
  };
}
