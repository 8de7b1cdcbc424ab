// How `npm start` (scripts/start.ts) runs invite-api locally: local sign-in on the pages, referral
// links pointing at this very server, and once everything is up the invite page's URL (plus a token
// and curl lines for those who prefer the API).
import type { DevContext, DevService } from '@platform/dev-process';
import { LOCAL_DEV_JWT, mintToken } from './auth/mintToken.ts';
import { DEMO_USER } from './routes/localSignIn.ts';

const TOKEN_TTL_SECONDS = 12 * 3600;

export const devService: DevService = {
  replicas: 1,

  env(ctx: DevContext) {
    // A variable set in the shell wins (e.g. ALLOWED_COUNTRIES='*' npm start).
    return {
      JWT_SECRET: ctx.env.JWT_SECRET ?? LOCAL_DEV_JWT.secret,
      JWT_ISSUER: ctx.env.JWT_ISSUER ?? LOCAL_DEV_JWT.issuer,
      JWT_AUDIENCE: ctx.env.JWT_AUDIENCE ?? LOCAL_DEV_JWT.audience,
      AUTH_MODE: ctx.env.AUTH_MODE ?? 'local',
      // The link in the SMS opens this server's landing page, so the whole flow works locally.
      REFERRAL_BASE_URL: ctx.env.REFERRAL_BASE_URL ?? ctx.urls.inviteApi,
      DEFAULT_COUNTRY: ctx.env.DEFAULT_COUNTRY ?? 'US',
      WELCOME_REWARD_POINTS: ctx.env.WELCOME_REWARD_POINTS ?? '50',
    };
  },

  async afterStart(ctx: DevContext) {
    const token = await mintToken({
      sub: DEMO_USER.userId,
      name: DEMO_USER.name,
      secret: ctx.env.JWT_SECRET ?? LOCAL_DEV_JWT.secret,
      issuer: ctx.env.JWT_ISSUER ?? LOCAL_DEV_JWT.issuer,
      audience: ctx.env.JWT_AUDIENCE ?? LOCAL_DEV_JWT.audience,
      ttlSeconds: TOKEN_TTL_SECONDS,
    });
    const api = ctx.urls.inviteApi;
    ctx.print(`Invite page: ${api}/  (click "Continue as ${DEMO_USER.name}", invite +1 415 555 2671)`);
    ctx.print(
      "The SMS lands on the outbox page (below); its link opens the friend's landing page on this server.",
    );
    ctx.print(`API instead: token for ${DEMO_USER.userId} ("${DEMO_USER.name}", valid 12 h):`);
    ctx.print(`  export TOKEN=${token}`);
    ctx.print(
      `  curl -s -X POST ${api}/api/invitations -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"phoneNumber":"+14155552671"}'`,
    );
    ctx.print(`  curl -s ${api}/api/invitations -H "Authorization: Bearer $TOKEN"`);
    ctx.print(
      'Another user: export TOKEN=$(npm run -s token -w @platform/invite-api -- --sub bob --name Bob)',
    );
    ctx.print(`API docs: ${api}/docs  (OpenAPI: ${api}/openapi.json)`);
  },
};
