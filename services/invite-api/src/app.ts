import Koa from 'koa';
import { isClientInputError } from '@platform/service-runtime';
import type { Logger } from '@platform/telemetry';
import type { Authenticator } from './auth/jwtAuthenticator.ts';
import { AppError } from './errors.ts';
import { errorHandler } from './http/errorHandler.ts';
import { requestContext } from './http/requestContext.ts';
import type { AppMiddleware, AppState } from './http/types.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { localSignInRoutes, type LocalSignInOptions } from './routes/localSignIn.ts';
import { operationRoutes, type ReadinessReport } from './routes/operations.ts';
import { pageRoutes } from './routes/pages.ts';
import type { PageSettings } from './web/pages.ts';
import type { InvitationService } from './service/InvitationService.ts';
import type { MetricsPort } from './service/ports.ts';
import type { ShareCardStore } from './shareCards/ShareCardStore.ts';
import type { IpRateLimiter } from './store/IpRateLimiter.ts';

export interface AppDeps {
  invitations: InvitationService;
  authenticator: Authenticator;
  ipLimiter: IpRateLimiter;
  /** Personalised share cards on the landing page; absent: the static card. */
  shareCards?: ShareCardStore;
  metrics: MetricsPort;
  logger: Logger;
  readiness: () => Promise<ReadinessReport>;
  /** Epoch ms; request durations. */
  clock?: () => number;
}

export interface AppOptions {
  /** Largest JSON body, bytes. */
  bodyLimitBytes: number;
  /**
   * Proxies in front of the service whose X-Forwarded-For entries are trusted (0: none, use the
   * socket address). 1 behind one load balancer; more only if each hop appends its own entry.
   */
  trustedProxyHops: number;
  /** The invite and landing pages (GET /, /invite/:code); absent: no pages. */
  pages?: PageSettings;
  /** AUTH_MODE=local only: POST /api/dev/session mints local tokens. Absent: the route does not exist. */
  localSignIn?: LocalSignInOptions;
}

/** The Koa application, without listen(): main.ts serves it, tests drive it directly. */
export function createApp(deps: AppDeps, options: AppOptions): Koa<AppState> {
  const app = new Koa<AppState>({
    proxy: options.trustedProxyHops > 0,
    // Koa keeps the last N X-Forwarded-For entries: the ones our own proxies appended.
    maxIpsCount: options.trustedProxyHops,
  });
  // Errors are answered and logged by errorHandler; Koa's own printing would duplicate them.
  app.silent = true;
  // What still reaches Koa's 'error' event happened while the response was being written. A client
  // that hung up mid-request is routine (debug); anything else is ours (error).
  app.on('error', (error: unknown) => {
    if (isClientInputError(error))
      deps.logger.debug({ err: error }, 'client closed the connection mid-request');
    else deps.logger.error({ err: error }, 'unhandled error after the response');
  });

  const api = invitationRoutes(deps, { bodyLimitBytes: options.bodyLimitBytes });
  const operations = operationRoutes(deps);
  const product = [
    ...(options.pages === undefined ? [] : [pageRoutes(deps, options.pages)]),
    ...(options.localSignIn === undefined
      ? []
      : [
          localSignInRoutes(
            { ipLimiter: deps.ipLimiter, clock: deps.clock ?? Date.now },
            { ...options.localSignIn, bodyLimitBytes: options.bodyLimitBytes },
          ),
        ]),
  ];

  app.use(errorHandler({ logger: deps.logger }));
  app.use(
    requestContext({ logger: deps.logger, ...(deps.clock === undefined ? {} : { clock: deps.clock }) }),
  );
  app.use(securityHeaders);
  app.use(notFound);
  for (const router of [operations, api, ...product]) {
    app.use(router.routes());
    app.use(
      router.allowedMethods({
        throw: true,
        methodNotAllowed: () => new AppError('METHOD_NOT_ALLOWED', 'Method not allowed on this path'),
        // An unknown method is the client's mistake as much as a wrong one: 405, never 501.
        notImplemented: () => new AppError('METHOD_NOT_ALLOWED', 'Method not allowed'),
      }),
    );
  }
  return app;
}

const securityHeaders: AppMiddleware = async (ctx, next) => {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  // API responses carry personal data (phone numbers): no shared caches. /docs overrides this.
  ctx.set('Cache-Control', 'no-store');
  await next();
};

/** Runs after everything downstream: a request no route answered is a JSON 404 like every other error. */
const notFound: AppMiddleware = async (ctx, next) => {
  await next();
  if (ctx.status === 404 && ctx.body == null) throw new AppError('NOT_FOUND', 'Not found');
};
