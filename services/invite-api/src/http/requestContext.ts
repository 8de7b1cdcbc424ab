import { randomUUID } from 'node:crypto';
import type { Logger } from '@platform/telemetry';
import type { AppMiddleware, AppRouterContext } from './types.ts';

// A caller-supplied request id is kept only if it is short and harmless in logs and headers.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Request id (X-Request-Id in and out), a per-request child logger, and one access-log line per
 * request written when the response has gone out, so it carries the final status whatever happened.
 * The line has the route pattern, not the raw path, and never headers or bodies (tokens, phone numbers).
 */
export function requestContext(deps: { logger: Logger; clock?: () => number }): AppMiddleware {
  const clock = deps.clock ?? Date.now;
  return async (ctx, next) => {
    const started = clock();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = deps.logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    ctx.res.once('close', () => {
      // Set by @koa/router on the context it matched: the route pattern, not the raw path (no ids).
      const route = (ctx as Partial<Pick<AppRouterContext, '_matchedRoute'>>)._matchedRoute;
      ctx.state.log.info(
        {
          method: ctx.method,
          route: typeof route === 'string' ? route : 'unmatched',
          status: ctx.status,
          durationMs: clock() - started,
          userId: ctx.state.caller?.userId,
          completed: ctx.res.writableFinished,
        },
        'request',
      );
    });
    await next();
  };
}
