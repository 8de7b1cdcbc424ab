import { Router } from '@koa/router';
import { toAppError } from '../http/errorHandler.ts';
import { rateLimitByIp } from '../http/rateLimitByIp.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/types.ts';
import { sendWithEtag } from './etag.ts';
import type { InvitationService } from '../service/InvitationService.ts';
import type { ShareCardImage, ShareCardStore } from '../shareCards/ShareCardStore.ts';
import type { IpRateLimiter } from '../store/IpRateLimiter.ts';
import { renderInvitePage, renderLandingPage, renderMessagePage, type PageSettings } from '../web/pages.ts';
import {
  STATIC_FILES,
  assetUrl,
  loadStaticAssets,
  type StaticAssets,
  type StaticFile,
} from '../web/staticAssets.ts';

/**
 * The pages load only their own script, style and images and talk only to this origin: no inline
 * script or style, no third party, no framing. Data the pages show is inserted as text.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface PageRoutesDeps {
  invitations: InvitationService;
  ipLimiter: IpRateLimiter;
  assets?: StaticAssets;
  /** Personalised share cards; absent: every landing page uses the static card. */
  shareCards?: ShareCardStore;
}

/**
 * A card never changes once rendered (one object per job, and one job per invitation), so it may be
 * cached long; a week rather than a year, so a revoked invitation's card fades from caches.
 */
const CARD_CACHE_CONTROL = 'public, max-age=604800';

/** GET / (invite page), GET /invite/:code (the friend's landing page), GET /static/*. */
export function pageRoutes(deps: PageRoutesDeps, settings: PageSettings): Router<AppState> {
  const router = new Router<AppState>();
  const assets = deps.assets ?? loadStaticAssets();
  const invitePage = renderInvitePage(assets, settings);
  const staticNames = new Set<string>(STATIC_FILES);

  /** Whether the landing page can point at the personalised card; a ledger outage keeps the static one. */
  async function cardReady(ctx: AppContext, invitationId: string): Promise<boolean> {
    if (deps.shareCards === undefined) return false;
    try {
      return await deps.shareCards.isReady(invitationId);
    } catch (error) {
      ctx.state.log.warn({ err: error, invitationId }, 'share card state unreadable; static card shown');
      return false;
    }
  }

  async function readCard(ctx: AppContext, invitationId: string): Promise<ShareCardImage | undefined> {
    if (deps.shareCards === undefined) return undefined;
    try {
      return await deps.shareCards.read(invitationId);
    } catch (error) {
      ctx.state.log.warn(
        { err: error, invitationId },
        'share card unreadable; redirected to the static card',
      );
      return undefined;
    }
  }

  router.get('/', (ctx) => {
    sendPage(ctx, 200, invitePage);
  });

  router.get('/invite/:code', htmlErrors(assets, settings), rateLimitByIp(deps.ipLimiter), async (ctx) => {
    const code = (ctx.params.code ?? '').toUpperCase();
    const invitation = await deps.invitations.lookupCode(code);
    // Unknown and malformed codes look the same, and nothing here depends on a phone number.
    if (invitation === undefined) {
      sendPage(
        ctx,
        404,
        renderMessagePage(assets, settings, {
          kind: 'not-found',
          title: "We couldn't find that invitation",
          text: 'Check the link in your message: the code may be mistyped. If a friend sent it, ask them for a new one.',
        }),
      );
      return;
    }
    if (invitation.status === 'expired' || invitation.status === 'revoked') {
      const revoked = invitation.status === 'revoked';
      sendPage(
        ctx,
        410,
        renderMessagePage(assets, settings, {
          kind: 'gone',
          title: revoked ? 'This invitation was withdrawn' : 'This invitation has expired',
          text: revoked
            ? `${invitation.inviterName} withdrew this invitation, so it can no longer be accepted. Ask them to invite you again.`
            : `Invitations are valid for ${settings.inviteTtlDays} days and this one has run out. Ask ${invitation.inviterName} to send you a new one.`,
        }),
      );
      return;
    }
    const card = (await cardReady(ctx, invitation.invitationId))
      ? cardRoute(invitation.inviteCode)
      : fallbackCardUrl(assets);
    sendPage(ctx, 200, renderLandingPage(assets, settings, invitation, card));
  });

  // The personalised card, served from S3 by this service (the bucket stays private). Before it
  // exists, or for a code that is not live, a temporary redirect to the static card: a link preview
  // always gets an image, and nothing here tells whether a code exists.
  router.get('/invite/:code/card.png', rateLimitByIp(deps.ipLimiter), async (ctx) => {
    const code = (ctx.params.code ?? '').toUpperCase();
    const invitation = await deps.invitations.lookupCode(code);
    const live =
      invitation !== undefined && invitation.status !== 'expired' && invitation.status !== 'revoked';
    const image = live ? await readCard(ctx, invitation.invitationId) : undefined;
    if (image === undefined) {
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 302;
      ctx.redirect(fallbackCardUrl(assets));
      return;
    }
    ctx.set('Cache-Control', CARD_CACHE_CONTROL);
    ctx.type = image.contentType;
    ctx.body = Buffer.from(image.body.buffer, image.body.byteOffset, image.body.byteLength);
  });

  router.get('/static/:name', (ctx) => {
    const name = ctx.params.name ?? '';
    if (!staticNames.has(name)) return; // falls through to the JSON 404
    const asset = assets[name as StaticFile];
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = asset.contentType;
    sendWithEtag(ctx, asset.body, asset.hash);
  });

  return router;
}

/** The static card: before an invitation's own card is rendered, or with share cards off. */
function fallbackCardUrl(assets: StaticAssets): string {
  return assetUrl(assets, 'share-card.png');
}

function cardRoute(inviteCode: string): string {
  return `/invite/${encodeURIComponent(inviteCode)}/card.png`;
}

function sendPage(ctx: AppContext, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.body = body;
}

/** A person opened this in a browser: a limit or an outage is a readable page, not JSON. */
function htmlErrors(assets: StaticAssets, settings: PageSettings): AppMiddleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const appError = toAppError(error);
      if (appError.status < 429) throw error;
      if (!appError.isOperational) ctx.state.log.error({ err: error }, 'landing page failed');
      for (const [name, value] of Object.entries(appError.headers)) ctx.set(name, value);
      sendPage(
        ctx,
        appError.status,
        renderMessagePage(assets, settings, {
          kind: 'busy',
          title: 'Something went wrong on our side',
          text: 'We could not open this invitation just now. Please try again in a minute.',
        }),
      );
    }
  };
}
