import { SignJWT } from 'jose';

export interface MintTokenInput {
  sub: string;
  name?: string;
  secret: string;
  issuer: string;
  audience: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Epoch ms; default now. */
  now?: number;
}

/**
 * Signs an HS256 token the local API accepts. For development and tests only: production tokens come
 * from the identity provider and are checked against its JWKS, for which no secret exists here.
 */
export async function mintToken(input: MintTokenInput): Promise<string> {
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  return new SignJWT(input.name === undefined ? {} : { name: input.name })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + input.ttlSeconds)
    .sign(new TextEncoder().encode(input.secret));
}

/**
 * The well-known secret of the local environment (`npm start`, tests). main.ts refuses it when
 * NODE_ENV=production, so a deployment can never accept tokens anyone can mint.
 */
export const LOCAL_DEV_JWT = {
  secret: 'local-development-only-secret-do-not-deploy-0123456789',
  issuer: 'http://localhost/invite-api-dev',
  audience: 'invite-api',
} as const;
