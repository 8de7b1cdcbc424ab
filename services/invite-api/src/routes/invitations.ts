import { Router } from '@koa/router';
import type { Authenticator } from '../auth/jwtAuthenticator.ts';
import { AppError } from '../errors.ts';
import type { Caller } from '../domain/invitation.ts';
import { authenticate } from '../http/authenticate.ts';
import { toAppError } from '../http/errorHandler.ts';
import { jsonBody } from '../http/jsonBody.ts';
import { rateLimitByIp } from '../http/rateLimitByIp.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/types.ts';
import { validateBody } from '../http/validateBody.ts';
import { contentTag, sendWithEtag } from './etag.ts';
import { schemas } from '../openapi/document.ts';
import { DEFAULT_PAGE_SIZE, IDEMPOTENCY_KEY_PATTERN, MAX_PAGE_SIZE } from './constants.ts';
import type { InvitationService } from '../service/InvitationService.ts';
import type { MetricsPort } from '../service/ports.ts';
import type { IpRateLimiter } from '../store/IpRateLimiter.ts';

export interface InvitationRoutesDeps {
  invitations: InvitationService;
  authenticator: Authenticator;
  ipLimiter: IpRateLimiter;
  metrics: MetricsPort;
}

export interface InvitationRoutesOptions {
  bodyLimitBytes: number;
}

const idempotencyKeyPattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);

export function invitationRoutes(
  deps: InvitationRoutesDeps,
  options: InvitationRoutesOptions,
): Router<AppState> {
  const router = new Router<AppState>();
  const auth = authenticate(deps.authenticator);
  const limitIp = rateLimitByIp(deps.ipLimiter);
  const body = jsonBody({ limitBytes: options.bodyLimitBytes });

  router.post(
    '/api/invitations',
    countRejections(deps.metrics),
    limitIp,
    auth,
    body,
    validateBody(schemas.CreateInvitationRequest),
    async (ctx) => {
      const { phoneNumber } = ctx.state.body as { phoneNumber: string };
      const idempotencyKey = readIdempotencyKey(ctx);
      const result = await deps.invitations.create(callerOf(ctx), {
        phoneNumber,
        requestId: ctx.state.requestId,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      if (result.replayed) ctx.set('Idempotency-Replayed', 'true');
      ctx.set('Location', `/api/invitations/${encodeURIComponent(result.body.invitationId)}`);
      ctx.status = 201;
      ctx.body = result.body;
    },
  );

  router.get('/api/invitations', auth, async (ctx) => {
    const limit = readLimit(ctx.query.limit);
    const cursor = readCursor(ctx.query.cursor);
    const page = await deps.invitations.list(callerOf(ctx), {
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    // The invite page polls this: an unchanged list is a 304 with no body.
    answerWithEtag(ctx, { success: true, ...page });
  });

  router.get('/api/rewards', auth, async (ctx) => {
    answerWithEtag(ctx, { success: true, ...(await deps.invitations.rewards(callerOf(ctx))) });
  });

  router.post(
    '/api/invitations/accept',
    limitIp,
    auth,
    body,
    validateBody(schemas.AcceptInvitationRequest),
    async (ctx) => {
      const { inviteCode } = ctx.state.body as { inviteCode: string };
      ctx.body = { success: true, ...(await deps.invitations.accept(callerOf(ctx), inviteCode)) };
    },
  );

  router.get('/api/invitations/:invitationId', auth, async (ctx) => {
    const invitation = await deps.invitations.get(callerOf(ctx), ctx.params.invitationId ?? '');
    ctx.body = { success: true, invitation };
  });

  // Idempotent: revoking a revoked invitation answers 200 with it again.
  router.delete('/api/invitations/:invitationId', limitIp, auth, async (ctx) => {
    const invitation = await deps.invitations.revoke(callerOf(ctx), ctx.params.invitationId ?? '');
    ctx.body = { success: true, invitation };
  });

  router.post('/api/invitations/:invitationId/resend', limitIp, auth, async (ctx) => {
    const idempotencyKey = readIdempotencyKey(ctx);
    const invitation = await deps.invitations.resend(callerOf(ctx), ctx.params.invitationId ?? '', {
      requestId: ctx.state.requestId,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    ctx.status = 202;
    ctx.body = { success: true, invitation };
  });

  return router;
}

/** InvitationsRejected{Reason}: every refused create, whichever layer refused it (IP limit, auth, body, limits). */
function countRejections(metrics: MetricsPort): AppMiddleware {
  return async (_ctx, next) => {
    try {
      await next();
    } catch (error) {
      metrics.count('InvitationsRejected', 1, { Reason: toAppError(error).code });
      throw error;
    }
  };
}

/** A JSON body with a strong ETag of its bytes; If-None-Match with the same tag gets 304. */
function answerWithEtag(ctx: AppContext, body: unknown): void {
  const json = JSON.stringify(body);
  ctx.type = 'application/json';
  sendWithEtag(ctx, json, contentTag(json));
}

function callerOf(ctx: AppContext): Caller {
  const caller = ctx.state.caller;
  if (caller === undefined) throw new Error('route registered without the authenticate middleware');
  return caller;
}

function readIdempotencyKey(ctx: AppContext): string | undefined {
  const value = ctx.get('idempotency-key');
  if (value === '') return undefined;
  if (!idempotencyKeyPattern.test(value)) {
    throw new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1-255 printable ASCII characters', {
      details: { fields: [{ path: '/headers/idempotency-key', message: 'invalid' }] },
    });
  }
  return value;
}

function readLimit(value: string | string[] | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  const limit = typeof value === 'string' && /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    throw new AppError('VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, {
      details: {
        fields: [{ path: '/query/limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }],
      },
    });
  }
  return limit;
}

function readCursor(value: string | string[] | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new AppError('VALIDATION_ERROR', 'cursor must be given once', {
      details: { fields: [{ path: '/query/cursor', message: 'must be a single value' }] },
    });
  }
  return value;
}
