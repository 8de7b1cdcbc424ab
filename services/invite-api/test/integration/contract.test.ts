/**
 * The API contract, against the real service (createInviteApi) on the embedded AWS: every success and
 * error body is validated against the OpenAPI document with ajv (JSON Schema 2020-12).
 */
import { gzipSync } from 'node:zlib';
import anyTest, { type TestFn } from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { SignJWT } from 'jose';
import { waitFor } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { openApiDocument } from '../../src/openapi/document.ts';
import type { InvitationView } from '../../src/service/views.ts';
import { startHarness, useHarness, type Harness } from '../helpers/harness.ts';
import { documented, type ApiBody } from '../helpers/openapi.ts';
import { rawRequest } from '../helpers/rawRequest.ts';

const test = anyTest as TestFn<{ h: Harness }>;
const INVITATIONS = '/api/invitations';

test.before(async (t) => {
  // A small daily quota keeps the RATE_LIMITED_USER case short; limits.test.ts proves the default 10.
  t.context.h = await startHarness({ env: { LIMIT_PER_USER_PER_DAY: '3' } });
});
test.after.always(async (t) => t.context.h.stop());

let phoneSequence = 0;
/** A distinct valid US number per call (415-555-0000 .. 9999 are all valid, mobile-capable numbers). */
function nextPhone(): string {
  phoneSequence += 1;
  return `+1415555${String(1000 + phoneSequence).padStart(4, '0')}`;
}

async function createInvitation(
  h: Harness,
  user: string,
  phoneNumber: string,
  headers: Record<string, string> = {},
) {
  return h.request(INVITATIONS, { method: 'POST', as: user, json: { phoneNumber }, headers });
}

test('OpenAPI: the served document is a valid OpenAPI 3.1 document and equals the source', async (t) => {
  const res = await t.context.h.request('/openapi.json');
  t.is(res.status, 200);
  const served = (await res.json()) as Record<string, unknown>;
  t.deepEqual(served, JSON.parse(JSON.stringify(openApiDocument)));
  const result = await new Validator().validate(served);
  t.true(result.valid, JSON.stringify(result.errors));
});

test('201: the success body, Location, and the invitation readable by its owner', async (t) => {
  const { h } = t.context;
  const phoneNumber = nextPhone();
  const res = await createInvitation(h, 'owner-1', phoneNumber.replace('+1415', '+1 (415) '));
  const body = await documented(t, res, 'post', INVITATIONS);
  t.is(res.status, 201);
  t.like(body, { success: true, status: 'queued', phoneNumber });
  t.regex(String(body.inviteCode), /^APP-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
  t.is(body.referralUrl, `https://app.example/invite/${String(body.inviteCode)}`);
  t.is(res.headers.get('location'), `${INVITATIONS}/${String(body.invitationId)}`);

  const one = await h.request(`${INVITATIONS}/${String(body.invitationId)}`, { as: 'owner-1' });
  const read = await documented(t, one, 'get', '/api/invitations/{invitationId}');
  t.is(one.status, 200);
  t.like(read.invitation, { invitationId: body.invitationId, status: 'queued', phoneNumber });

  const other = await h.request(`${INVITATIONS}/${String(body.invitationId)}`, { as: 'someone-else' });
  t.is(other.status, 404, "another user's invitation is not found");
  t.is((await documented(t, other, 'get', '/api/invitations/{invitationId}')).error?.code, 'NOT_FOUND');
});

test('GET /api/invitations: own invitations, newest first, paginated with a cursor', async (t) => {
  const { h } = t.context;
  const created: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await createInvitation(h, 'lister', nextPhone());
    t.is(res.status, 201);
    created.push(String(((await res.json()) as ApiBody).invitationId));
  }
  await createInvitation(h, 'not-the-lister', nextPhone());

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
    const res = await h.request(`${INVITATIONS}${query}`, { as: 'lister' });
    const body = await documented(t, res, 'get', INVITATIONS);
    t.is(res.status, 200);
    seen.push(...(body.invitations as InvitationView[]).map((i) => i.invitationId));
    cursor = body.nextCursor as string | null;
    pages++;
  } while (cursor !== null && pages < 5);
  t.deepEqual(seen, [...created].reverse(), 'all of them, newest first, none of anyone else');

  const forged = await h.request(`${INVITATIONS}?cursor=${Buffer.from('{}').toString('base64url')}`, {
    as: 'lister',
  });
  t.is(forged.status, 400);
  t.is((await documented(t, forged, 'get', INVITATIONS)).error?.code, 'VALIDATION_ERROR');
  const badLimit = await h.request(`${INVITATIONS}?limit=1000`, { as: 'lister' });
  t.is(badLimit.status, 400);
  t.is((await documented(t, badLimit, 'get', INVITATIONS)).error?.code, 'VALIDATION_ERROR');
});

test('409 DUPLICATE_INVITATION: the same inviter and number again, with the existing code', async (t) => {
  const { h } = t.context;
  const phoneNumber = nextPhone();
  const first = (await (await createInvitation(h, 'dup-user', phoneNumber)).json()) as ApiBody;
  const again = await createInvitation(h, 'dup-user', phoneNumber);
  const body = await documented(t, again, 'post', INVITATIONS);
  t.is(again.status, 409);
  t.is(body.error?.code, 'DUPLICATE_INVITATION');
  t.like(body.error?.details, { inviteCode: first.inviteCode, invitationId: first.invitationId });
});

test('429 RATE_LIMITED_PHONE: another inviter within 24 h, Retry-After until the guard frees', async (t) => {
  const { h } = t.context;
  const phoneNumber = nextPhone();
  t.is((await createInvitation(h, 'phone-a', phoneNumber)).status, 201);
  const res = await createInvitation(h, 'phone-b', phoneNumber);
  const body = await documented(t, res, 'post', INVITATIONS);
  t.is(res.status, 429);
  t.is(body.error?.code, 'RATE_LIMITED_PHONE');
  const retryAfter = Number(res.headers.get('retry-after'));
  t.true(retryAfter > 86_000 && retryAfter <= 86_400, String(retryAfter));
});

test('429 RATE_LIMITED_USER: past the daily quota, Retry-After until 00:00 UTC', async (t) => {
  const { h } = t.context;
  for (let i = 0; i < 3; i++) t.is((await createInvitation(h, 'quota-user', nextPhone())).status, 201);
  const res = await createInvitation(h, 'quota-user', nextPhone());
  const body = await documented(t, res, 'post', INVITATIONS);
  t.is(res.status, 429);
  t.is(body.error?.code, 'RATE_LIMITED_USER');
  const untilMidnight = Math.ceil((Math.ceil(Date.now() / 86_400_000) * 86_400_000 - Date.now()) / 1000);
  t.true(Math.abs(Number(res.headers.get('retry-after')) - untilMidnight) <= 5);
});

test('400 INVALID_PHONE_NUMBER: the seed example +15551234567 and other bad numbers', async (t) => {
  const { h } = t.context;
  const table: [string, string][] = [
    ['+15551234567', 'INVALID_NUMBER'],
    ['4155552671', 'NOT_INTERNATIONAL_FORMAT'],
    ['+1415555267', 'INVALID_NUMBER'],
    ['+19005550100', 'NOT_SMS_CAPABLE'],
    ['+14155552671; DROP TABLE', 'NOT_INTERNATIONAL_FORMAT'],
  ];
  for (const [phoneNumber, reason] of table) {
    const res = await createInvitation(h, 'bad-number-user', phoneNumber);
    const body = await documented(t, res, 'post', INVITATIONS);
    t.is(res.status, 400, phoneNumber);
    t.is(body.error?.code, 'INVALID_PHONE_NUMBER', phoneNumber);
    t.is(body.error?.details?.reason, reason, phoneNumber);
  }
});

test('422 COUNTRY_NOT_ALLOWED: a valid number outside ALLOWED_COUNTRIES', async (t) => {
  const res = await createInvitation(t.context.h, 'country-user', '+4915123456789');
  t.is(res.status, 422);
  t.is((await documented(t, res, 'post', INVITATIONS)).error?.code, 'COUNTRY_NOT_ALLOWED');
});

test('422 PHONE_OPTED_OUT: a number that opted out is never invited again', async (t) => {
  const { h } = t.context;
  const phoneNumber = nextPhone();
  await h.api.store.suppress(phoneNumber, {
    reason: 'OPTED_OUT',
    invitationId: 'inv-earlier',
    now: new Date().toISOString(),
  });
  const res = await createInvitation(h, 'suppressed-user', phoneNumber);
  t.is(res.status, 422);
  t.is((await documented(t, res, 'post', INVITATIONS)).error?.code, 'PHONE_OPTED_OUT');
});

test('400 VALIDATION_ERROR: missing, mistyped and unknown fields, non-object bodies, malformed JSON', async (t) => {
  const { h } = t.context;
  const token = await h.token('validation-user');
  const cases: [string, string][] = [
    ['{}', '/phoneNumber'],
    ['{"phoneNumber": 14155552671}', '/phoneNumber'],
    ['{"phoneNumber": "+14155552671", "admin": true}', '/admin'],
    ['{"phoneNumber": ""}', '/phoneNumber'],
    ['[]', ''],
    ['"+14155552671"', ''],
    ['{"phoneNumber": "+14155552671"', ''],
    ['{"phoneNumber": +14155552671}', ''],
    ['', ''],
  ];
  for (const [raw, path] of cases) {
    const res = await fetch(`${h.baseUrl}${INVITATIONS}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: raw,
    });
    const body = await documented(t, res, 'post', INVITATIONS);
    t.is(res.status, 400, raw);
    t.is(body.error?.code, 'VALIDATION_ERROR', raw);
    if (path !== '') {
      t.true(
        (body.error?.details?.fields as { path: string }[]).some((f) => f.path === path),
        `${raw}: ${JSON.stringify(body)}`,
      );
    }
  }
  const badKey = await createInvitation(h, 'validation-user', nextPhone(), {
    'idempotency-key': 'x'.repeat(300),
  });
  t.is(badKey.status, 400);
  t.is((await documented(t, badKey, 'post', INVITATIONS)).error?.code, 'VALIDATION_ERROR');
});

test('415 UNSUPPORTED_MEDIA_TYPE: anything but application/json (UTF-8)', async (t) => {
  const { h } = t.context;
  const token = await h.token('media-user');
  const body = JSON.stringify({ phoneNumber: nextPhone() });
  for (const contentType of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=iso-8859-1',
    'application/csp-report',
  ]) {
    const res = await fetch(`${h.baseUrl}${INVITATIONS}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    });
    t.is(res.status, 415, contentType);
    t.is((await documented(t, res, 'post', INVITATIONS)).error?.code, 'UNSUPPORTED_MEDIA_TYPE', contentType);
  }
  const upperCase = await fetch(`${h.baseUrl}${INVITATIONS}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'Application/JSON; charset=UTF-8' },
    body,
  });
  t.is(upperCase.status, 201, 'media types are case-insensitive');
  const none = await rawRequest(h.baseUrl, {
    method: 'POST',
    path: INVITATIONS,
    headers: { authorization: `Bearer ${token}` },
    chunks: [body],
  });
  t.is(none.status, 415, 'no content type');
  const br = await rawRequest(h.baseUrl, {
    method: 'POST',
    path: INVITATIONS,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'x-unknown',
    },
    chunks: [body],
  });
  t.is(br.status, 415, 'unknown content encoding');
});

test('413 PAYLOAD_TOO_LARGE: declared, chunked and compressed bodies over 4 KiB', async (t) => {
  const { h } = t.context;
  const token = await h.token('size-user');
  const big = JSON.stringify({ phoneNumber: nextPhone(), padding: 'x'.repeat(5000) });
  const declared = await fetch(`${h.baseUrl}${INVITATIONS}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: big,
  });
  t.is(declared.status, 413);
  t.is((await documented(t, declared, 'post', INVITATIONS)).error?.code, 'PAYLOAD_TOO_LARGE');

  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const chunked = await rawRequest(h.baseUrl, {
    method: 'POST',
    path: INVITATIONS,
    headers: { ...headers, 'transfer-encoding': 'chunked' },
    chunks: [big.slice(0, 2000), big.slice(2000)],
  });
  t.is(chunked.status, 413, chunked.body);
  // 100 KiB of spaces gzip to ~100 bytes: the limit applies to the decompressed body.
  const bomb = gzipSync(`{"phoneNumber":"${nextPhone()}"${' '.repeat(100_000)}}`);
  const compressed = await rawRequest(h.baseUrl, {
    method: 'POST',
    path: INVITATIONS,
    headers: { ...headers, 'content-encoding': 'gzip', 'content-length': String(bomb.length) },
    chunks: [bomb],
  });
  t.is(compressed.status, 413, compressed.body);
  t.is((JSON.parse(compressed.body) as ApiBody).error?.code, 'PAYLOAD_TOO_LARGE');
});

test('401 UNAUTHORIZED: missing, bad signature, expired, wrong issuer or audience, alg none, wrong alg', async (t) => {
  const { h } = t.context;
  const { secret, issuer, audience } = LOCAL_DEV_JWT;
  const base = { sub: 'auth-user', name: 'Eve', secret, issuer, audience, ttlSeconds: 600 };
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 600;
  const cases: [string, string | undefined, string][] = [
    ['missing', undefined, 'MISSING_TOKEN'],
    [
      'bad signature',
      `Bearer ${await mintToken({ ...base, secret: 'another-secret-of-sufficient-length-0000' })}`,
      'BAD_SIGNATURE',
    ],
    ['expired', `Bearer ${await mintToken({ ...base, now: Date.now() - 3_600_000 })}`, 'TOKEN_EXPIRED'],
    [
      'wrong issuer',
      `Bearer ${await mintToken({ ...base, issuer: 'https://issuer.invalid' })}`,
      'CLAIM_INVALID',
    ],
    ['wrong audience', `Bearer ${await mintToken({ ...base, audience: 'other-api' })}`, 'CLAIM_INVALID'],
    [
      'alg none',
      `Bearer ${part({ alg: 'none' })}.${part({ sub: 'auth-user', iss: issuer, aud: audience, exp })}.`,
      'ALGORITHM_NOT_ALLOWED',
    ],
    [
      'HS384',
      `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS384' }).setSubject('auth-user').setIssuer(issuer).setAudience(audience).setExpirationTime(exp).sign(new TextEncoder().encode(secret))}`,
      'ALGORITHM_NOT_ALLOWED',
    ],
    ['not a JWT', 'Bearer not-a-jwt', 'INVALID_TOKEN'],
    ['Basic auth', 'Basic dXNlcjpwYXNz', 'MALFORMED_AUTHORIZATION'],
  ];
  for (const [name, authorization, reason] of cases) {
    const res = await h.request(INVITATIONS, {
      method: 'POST',
      json: { phoneNumber: nextPhone() },
      headers: authorization === undefined ? {} : { authorization },
    });
    const body = await documented(t, res, 'post', INVITATIONS);
    t.is(res.status, 401, name);
    t.is(body.error?.code, 'UNAUTHORIZED', name);
    t.is(body.error?.details?.reason, reason, name);
    t.regex(res.headers.get('www-authenticate') ?? '', /^Bearer /, name);
    t.false(
      JSON.stringify(body).includes(authorization?.slice(7, 40) ?? '\u0000'),
      'the token is never echoed',
    );
  }
  const list = await h.request(INVITATIONS);
  t.is(list.status, 401);
  await documented(t, list, 'get', INVITATIONS);
});

test('Idempotency-Key: same key and body -> the same 201; same key, other body -> 422', async (t) => {
  const { h } = t.context;
  const phoneNumber = nextPhone();
  const key = { 'idempotency-key': 'retry-me-1' };
  const first = await createInvitation(h, 'idem-user', phoneNumber, key);
  const firstBody = await documented(t, first, 'post', INVITATIONS);
  t.is(first.status, 201);
  t.is(first.headers.get('idempotency-replayed'), null);

  // Same request, formatted differently: the same normalised request, so the same response.
  const retry = await createInvitation(h, 'idem-user', phoneNumber.replace('+1415', '+1 415 '), key);
  t.is(retry.status, 201);
  t.is(retry.headers.get('idempotency-replayed'), 'true');
  t.deepEqual(await documented(t, retry, 'post', INVITATIONS), firstBody);

  const reused = await createInvitation(h, 'idem-user', nextPhone(), key);
  t.is(reused.status, 422);
  t.is((await documented(t, reused, 'post', INVITATIONS)).error?.code, 'IDEMPOTENCY_KEY_REUSED');

  // Without the key, the retry is a duplicate.
  const withoutKey = await createInvitation(h, 'idem-user', phoneNumber);
  t.is(withoutKey.status, 409);
  // Keys are per caller: another user's identical key is a different request.
  t.is((await createInvitation(h, 'idem-other', nextPhone(), key)).status, 201);
});

test('accept: the invited user redeems the code; own or already-accepted invitations are 409', async (t) => {
  const { h } = t.context;
  const created = (await (await createInvitation(h, 'inviter-x', nextPhone())).json()) as ApiBody;
  const path = '/api/invitations/accept';
  const accept = (as: string, inviteCode: unknown) =>
    h.request(path, { method: 'POST', as, json: { inviteCode } });

  const own = await accept('inviter-x', created.inviteCode);
  t.is(own.status, 409);
  t.is((await documented(t, own, 'post', path)).error?.details?.reason, 'OWN_INVITATION');

  const ok = await accept('friend-y', created.inviteCode);
  const accepted = await documented(t, ok, 'post', path);
  t.is(ok.status, 200);
  t.like(accepted, { success: true, invitationId: created.invitationId, status: 'accepted' });
  const again = await accept('friend-y', created.inviteCode);
  t.is(again.status, 200, 'accepting twice is harmless');
  t.is((await documented(t, again, 'post', path)).acceptedAt, accepted.acceptedAt);

  const late = await accept('friend-z', created.inviteCode);
  t.is(late.status, 409);
  t.is((await documented(t, late, 'post', path)).error?.code, 'INVITATION_NOT_ACCEPTABLE');

  const unknown = await accept('friend-y', 'APP-ZZZZZZ');
  t.is(unknown.status, 404);
  t.is((await documented(t, unknown, 'post', path)).error?.code, 'NOT_FOUND');
  const malformed = await accept('friend-y', 'app-0000');
  t.is(malformed.status, 400);
  await documented(t, malformed, 'post', path);

  const read = (await (
    await h.request(`${INVITATIONS}/${String(created.invitationId)}`, { as: 'inviter-x' })
  ).json()) as ApiBody;
  t.like(read.invitation, { status: 'accepted', acceptedAt: accepted.acceptedAt });
  t.true(((await h.metricTotals()).InvitationsAccepted ?? 0) >= 1);
});

test('404 NOT_FOUND and 405 METHOD_NOT_ALLOWED are JSON errors too', async (t) => {
  const { h } = t.context;
  const missing = await h.request('/nowhere');
  t.is(missing.status, 404);
  t.like(await missing.json(), { success: false, error: { code: 'NOT_FOUND' } });
  const absurdId = await h.request(`${INVITATIONS}/${'x'.repeat(3000)}`, { as: 'x' });
  t.is(absurdId.status, 404, 'an id no DynamoDB key could hold is simply not found');
  await documented(t, absurdId, 'get', '/api/invitations/{invitationId}');
  const wrongMethod = await h.request(INVITATIONS, { method: 'DELETE', as: 'x' });
  t.is(wrongMethod.status, 405);
  t.like(await wrongMethod.json(), { success: false, error: { code: 'METHOD_NOT_ALLOWED' } });
  const unknownMethod = await rawRequest(h.baseUrl, { method: 'PROPFIND', path: INVITATIONS });
  t.is(unknownMethod.status, 405);
});

test('/healthz, /readyz and /docs', async (t) => {
  const { h } = t.context;
  const health = await h.request('/healthz');
  t.deepEqual(await documented(t, health, 'get', '/healthz'), { status: 'ok' });
  // Readiness pings DynamoDB with a 1 s budget; on a loaded machine one ping can miss it, and a
  // probe that fails once is retried by Kubernetes too, so wait for the state instead of one sample.
  const ready = await waitFor(
    async () => {
      const response = await h.request('/readyz');
      return response.status === 200 ? response : undefined;
    },
    { description: '/readyz to answer 200', timeoutMs: 20_000, intervalMs: 250 },
  );
  t.is(ready.status, 200);
  t.deepEqual(await documented(t, ready, 'get', '/readyz'), { status: 'ready', checks: { dynamodb: 'ok' } });
  const docs = await h.request('/docs');
  t.is(docs.status, 200);
  t.regex(docs.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(docs.headers.get('content-security-policy') ?? '', /default-src 'none'/);
});

test('429 RATE_LIMITED_IP: per client address, from X-Forwarded-For only behind a trusted proxy', async (t) => {
  const h = await useHarness(t, {
    env: { IP_RATE_LIMIT: '2', IP_RATE_WINDOW_SECONDS: '3600', TRUSTED_PROXY_HOPS: '1' },
  });
  const from = (ip: string) =>
    createInvitation(h, `ip-user-${ip}`, nextPhone(), { 'x-forwarded-for': `198.51.100.9, ${ip}` });
  t.is((await from('203.0.113.1')).status, 201);
  t.is((await from('203.0.113.1')).status, 201);
  const limited = await from('203.0.113.1');
  t.is(limited.status, 429);
  t.is((await documented(t, limited, 'post', INVITATIONS)).error?.code, 'RATE_LIMITED_IP');
  t.true(Number(limited.headers.get('retry-after')) <= 3600);
  t.is((await from('203.0.113.2')).status, 201, 'another address has its own budget');
  // The spoofable first entry is not trusted: only the one our proxy appended counts.
  const spoofed = await createInvitation(h, 'spoofer', nextPhone(), {
    'x-forwarded-for': '10.0.0.1, 203.0.113.1',
  });
  t.is(spoofed.status, 429);
});

test('503 SERVICE_UNAVAILABLE: the global hourly SMS ceiling trips the breaker', async (t) => {
  const h = await useHarness(t, { env: { GLOBAL_SMS_PER_HOUR: '2', GLOBAL_SMS_COUNTER_SHARDS: '1' } });
  t.is((await createInvitation(h, 'g1', nextPhone())).status, 201);
  t.is((await createInvitation(h, 'g2', nextPhone())).status, 201);
  for (let i = 0; i < 3; i++) {
    const res = await createInvitation(h, `g${i + 3}`, nextPhone());
    const body = await documented(t, res, 'post', INVITATIONS);
    t.is(res.status, 503);
    t.is(body.error?.code, 'SERVICE_UNAVAILABLE');
    t.is(body.error?.details?.reason, 'GLOBAL_SMS_CEILING');
    t.true(Number(res.headers.get('retry-after')) <= 3600);
  }
  const list = (await (await h.request(INVITATIONS, { as: 'g3' })).json()) as ApiBody;
  t.deepEqual(list.invitations, [], 'nothing recorded while the breaker is open');
  const breakerLogs = h.logs.filter((l) => String(l.msg).startsWith('global SMS ceiling reached'));
  t.is(breakerLogs.length, 1, 'the first refusal opens the breaker; later ones never reach DynamoDB');
});
