import { randomBytes } from 'node:crypto';
import { Router } from '@koa/router';
import { mintToken } from '../auth/mintToken.ts';
import { safeDisplayName } from '../domain/displayName.ts';
import { jsonBody } from '../http/jsonBody.ts';
import { rateLimitByIp } from '../http/rateLimitByIp.ts';
import type { AppState } from '../http/types.ts';
import { validateBody } from '../http/validateBody.ts';
import { schemas } from '../openapi/document.ts';
import type { IpRateLimiter } from '../store/IpRateLimiter.ts';

/** The user "continue as" signs in as on the invite page (and the one `npm start` prints a token for). */
export const DEMO_USER = { userId: 'local-alice', name: 'Alice' } as const;

const SESSION_TTL_SECONDS = 12 * 3600;

export interface LocalSignInOptions {
  /** The HS256 secret, issuer and audience the API itself verifies tokens with. */
  secret: string;
  issuer: string;
  audience: string;
}

/**
 * POST /api/dev/session: mints a local token, as the demo user or as a brand-new user (the friend on
 * the landing page). Registered ONLY when AUTH_MODE=local, which config.ts refuses in production and
 * which needs JWT_SECRET: without it the route does not exist (404) and no token can be minted.
 */
export function localSignInRoutes(
  deps: { ipLimiter: IpRateLimiter; clock: () => number },
  options: LocalSignInOptions & { bodyLimitBytes: number },
): Router<AppState> {
  const router = new Router<AppState>();
  router.post(
    '/api/dev/session',
    rateLimitByIp(deps.ipLimiter),
    jsonBody({ limitBytes: options.bodyLimitBytes }),
    validateBody(schemas.LocalSessionRequest),
    async (ctx) => {
      const request = ctx.state.body as { user: 'demo' | 'new'; name?: string };
      const user =
        request.user === 'demo'
          ? DEMO_USER
          : { userId: `local-${randomBytes(6).toString('hex')}`, name: safeDisplayName(request.name) };
      const now = deps.clock();
      const token = await mintToken({
        sub: user.userId,
        name: user.name,
        secret: options.secret,
        issuer: options.issuer,
        audience: options.audience,
        ttlSeconds: SESSION_TTL_SECONDS,
        now,
      });
      ctx.body = {
        success: true,
        token,
        user: { userId: user.userId, name: user.name },
        expiresAt: new Date(now + SESSION_TTL_SECONDS * 1000).toISOString(),
      };
    },
  );
  return router;
}
