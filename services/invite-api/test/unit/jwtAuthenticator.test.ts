import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createJwtAuthenticator } from '../../src/auth/jwtAuthenticator.ts';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { AppError } from '../../src/errors.ts';

const { secret, issuer, audience } = LOCAL_DEV_JWT;
const authenticator = createJwtAuthenticator({
  key: { kind: 'secret', secret },
  issuer,
  audience,
  clockToleranceSeconds: 5,
});
const mint = (overrides: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({ sub: 'user-1', name: 'Alice', secret, issuer, audience, ttlSeconds: 600, ...overrides });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

test('a valid token gives the caller: sub and name', async (t) => {
  t.deepEqual(await authenticator.authenticate(`Bearer ${await mint()}`), {
    userId: 'user-1',
    name: 'Alice',
  });
  t.deepEqual(await authenticator.authenticate(`bearer ${await mint({ name: undefined })}`), {
    userId: 'user-1',
    name: 'A friend',
  });
});

test('the name claim is made safe where it is read: bidi overrides and zero-width spaces do not get in', async (t) => {
  const caller = await authenticator.authenticate(
    `Bearer ${await mint({ name: '\u202EAlice\u200B\uFFFE' })}`,
  );
  t.is(caller.name, 'Alice');
  const invisible = await authenticator.authenticate(`Bearer ${await mint({ name: '\u200B\u200B\u200B' })}`);
  t.is(invisible.name, 'A friend');
});

const cases: [string, () => Promise<string | undefined>, string][] = [
  ['missing header', async () => undefined, 'MISSING_TOKEN'],
  ['not Bearer', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, 'MALFORMED_AUTHORIZATION'],
  ['Bearer without token', async () => 'Bearer ', 'MALFORMED_AUTHORIZATION'],
  ['garbage token', async () => 'Bearer abc.def.ghi', 'INVALID_TOKEN'],
  [
    'bad signature (other secret)',
    async () => `Bearer ${await mint({ secret: 'x'.repeat(40) })}`,
    'BAD_SIGNATURE',
  ],
  [
    'expired',
    async () => `Bearer ${await mint({ now: Date.now() - 7200_000, ttlSeconds: 600 })}`,
    'TOKEN_EXPIRED',
  ],
  ['wrong issuer', async () => `Bearer ${await mint({ issuer: 'https://evil.example' })}`, 'CLAIM_INVALID'],
  ['wrong audience', async () => `Bearer ${await mint({ audience: 'another-api' })}`, 'CLAIM_INVALID'],
  ['alg none', async () => `Bearer ${unsecuredToken()}`, 'ALGORITHM_NOT_ALLOWED'],
  ['HS512 instead of HS256', async () => `Bearer ${await signWith('HS512')}`, 'ALGORITHM_NOT_ALLOWED'],
  ['no sub', async () => `Bearer ${await signWith('HS256', { sub: undefined })}`, 'CLAIM_INVALID'],
  ['oversized token', async () => `Bearer ${'a'.repeat(9000)}`, 'MALFORMED_AUTHORIZATION'],
];

for (const [name, header, reason] of cases) {
  test(`refused: ${name}`, async (t) => {
    const error = await refusal(authenticator.authenticate(await header()));
    t.is(error.code, 'UNAUTHORIZED');
    t.is(error.status, 401);
    t.is(error.details?.reason, reason);
    t.regex(error.headers['WWW-Authenticate'] ?? '', /^Bearer realm="invite-api"/);
  });
}

test('JWKS: an RS256 token from the key set is accepted, HS256 signed with anything is not', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const jwks = createJwtAuthenticator({
    key: { kind: 'jwks', url },
    issuer,
    audience,
    clockToleranceSeconds: 5,
  });

  const rs256 = await new SignJWT({ name: 'Bob' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('user-9')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  t.deepEqual(await jwks.authenticate(`Bearer ${rs256}`), { userId: 'user-9', name: 'Bob' });

  const confused = await refusal(jwks.authenticate(`Bearer ${await mint()}`));
  t.is(confused.code, 'UNAUTHORIZED');
  t.is(confused.details?.reason, 'ALGORITHM_NOT_ALLOWED');
});

test("JWKS unreachable: 503, not the client's fault", async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const jwks = createJwtAuthenticator({
    key: { kind: 'jwks', url: `http://127.0.0.1:${port}/jwks.json` },
    issuer,
    audience,
    clockToleranceSeconds: 5,
  });
  const { privateKey } = await generateKeyPair('RS256');
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('user-9')
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime('5m')
    .sign(privateKey);
  const error = await refusal(jwks.authenticate(`Bearer ${token}`));
  t.is(error.code, 'SERVICE_UNAVAILABLE');
  t.is(error.status, 503);
});

function unsecuredToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'user-1', iss: issuer, aud: audience, exp: now + 600 })}.`;
}

async function signWith(
  alg: 'HS256' | 'HS512',
  claims: { sub?: string | undefined } = { sub: 'user-1' },
): Promise<string> {
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m');
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  return jwt.sign(new TextEncoder().encode(secret));
}
