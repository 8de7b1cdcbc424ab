import type { ParameterizedContext, Middleware } from 'koa';
import type { RouterContext } from '@koa/router';
import type { Logger } from '@platform/telemetry';
import type { Caller } from '../domain/invitation.ts';

/** What the middleware chain puts on `ctx.state`. */
export interface AppState {
  requestId: string;
  log: Logger;
  /** Set by `authenticate`. */
  caller?: Caller;
  /** The validated JSON body, set by `validateBody`. */
  body?: unknown;
}

export type AppContext = ParameterizedContext<AppState>;
export type AppMiddleware = Middleware<AppState>;
export type AppRouterContext = RouterContext<AppState>;
