// How `npm start` (scripts/start.ts) runs invite-api locally: the local JWT secret, and once
// everything is up a ready-to-use token with curl examples.
import type { DevContext, DevService } from '../../../scripts/lib/services.ts';
import { LOCAL_DEV_JWT, mintToken } from './auth/mintToken.ts';

const DEMO_USER = { sub: 'local-alice', name: 'Alice' };
const TOKEN_TTL_SECONDS = 12 * 3600;

export const devService: DevService = {
  replicas: 1,

  env(ctx: DevContext) {
    // A variable set in the shell wins (e.g. ALLOWED_COUNTRIES='*' npm start).
    return {
      JWT_SECRET: ctx.env.JWT_SECRET ?? LOCAL_DEV_JWT.secret,
      JWT_ISSUER: ctx.env.JWT_ISSUER ?? LOCAL_DEV_JWT.issuer,
      JWT_AUDIENCE: ctx.env.JWT_AUDIENCE ?? LOCAL_DEV_JWT.audience,
      REFERRAL_BASE_URL: ctx.env.REFERRAL_BASE_URL ?? 'https://app.example',
    };
  },

  async afterStart(ctx: DevContext) {
    const token = await mintToken({
      ...DEMO_USER,
      secret: ctx.env.JWT_SECRET ?? LOCAL_DEV_JWT.secret,
      issuer: ctx.env.JWT_ISSUER ?? LOCAL_DEV_JWT.issuer,
      audience: ctx.env.JWT_AUDIENCE ?? LOCAL_DEV_JWT.audience,
      ttlSeconds: TOKEN_TTL_SECONDS,
    });
    const api = ctx.urls.inviteApi;
    ctx.print(`Token for ${DEMO_USER.sub} ("${DEMO_USER.name}", valid 12 h):`);
    ctx.print(`  export TOKEN=${token}`);
    ctx.print(
      'Invite a friend, then follow the invitation (it turns "sent" once sms-sender has delivered to the outbox):',
    );
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
