import type { Authenticator } from '../auth/jwtAuthenticator.ts';
import type { AppMiddleware } from './types.ts';

export function authenticate(authenticator: Authenticator): AppMiddleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    ctx.state.caller = await authenticator.authenticate(header === '' ? undefined : header);
    await next();
  };
}
