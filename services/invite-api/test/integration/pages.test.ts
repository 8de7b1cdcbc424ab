/**
 * The pages and the local sign-in over HTTP: headers (a strict CSP), static files, the landing
 * page's answers, and that local sign-in exists only in local mode.
 */
import test from 'ava';
import { ConfigError } from '@platform/errors';
import { readInviteApiConfig } from '../../src/config.ts';
import { useHarness } from '../helpers/harness.ts';
import { documented, type ApiBody } from '../helpers/openapi.ts';

test('GET / is the invite page: HTML, strict CSP, no inline script or style, only own assets', async (t) => {
  const h = await useHarness(t);
  const res = await h.request('/');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.true(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"));
  t.false(csp.includes('unsafe-inline'));
  t.is(res.headers.get('x-frame-options'), 'DENY');
  const html = await res.text();
  t.true(html.includes('type="tel"') && html.includes('autocomplete="tel"'));
  t.true(html.includes('Invite Friend'));
  t.false(/<script>|<script [^>]*>[^<]/.test(html), 'no inline script');
  t.false(/<style|style="/.test(html), 'no inline style');
  t.false(html.includes('Continue as'), 'production config (AUTH_MODE=jwt): no local sign-in offered');
  for (const [, src] of html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)) {
    const asset = await h.request(src ?? '');
    t.is(asset.status, 200, src);
    t.regex(asset.headers.get('cache-control') ?? '', /immutable/);
    const again = await h.request(src ?? '', {
      headers: { 'if-none-match': asset.headers.get('etag') ?? '' },
    });
    t.is(again.status, 304, `${src} revalidates`);
  }
  const missing = await h.request('/static/../config.ts');
  t.is(missing.status, 404);
  const unknown = await h.request('/static/secrets.js');
  t.is(unknown.status, 404);
});

test('POST /api/dev/session does not exist in production config (404) and works in local mode', async (t) => {
  const production = await useHarness(t);
  const absent = await production.request('/api/dev/session', { method: 'POST', json: { user: 'demo' } });
  t.is(absent.status, 404);
  t.is(((await absent.json()) as ApiBody).error?.code, 'NOT_FOUND');

  const local = await useHarness(t, { env: { AUTH_MODE: 'local' } });
  const page = await (await local.request('/')).text();
  t.true(page.includes('Continue as Alice'));
  const res = await local.request('/api/dev/session', { method: 'POST', json: { user: 'demo' } });
  t.is(res.status, 200);
  const session = await documented(t, res, 'post', '/api/dev/session');
  t.like(session.user, { userId: 'local-alice', name: 'Alice' });
  const list = await local.request('/api/invitations', {
    headers: { authorization: `Bearer ${String(session.token)}` },
  });
  t.is(list.status, 200, 'the minted token is accepted by the API');

  const fresh = await documented(
    t,
    await local.request('/api/dev/session', { method: 'POST', json: { user: 'new', name: 'Sam\u0000' } }),
    'post',
    '/api/dev/session',
  );
  t.regex(String((fresh.user as ApiBody).userId), /^local-[0-9a-f]{12}$/);
  t.is((fresh.user as ApiBody).name, 'Sam');
  const bad = await local.request('/api/dev/session', { method: 'POST', json: { user: 'admin' } });
  t.is(bad.status, 400);
  await documented(t, bad, 'post', '/api/dev/session');
});

test('AUTH_MODE=local is refused with NODE_ENV=production and without JWT_SECRET', (t) => {
  const env = {
    INVITATIONS_TABLE: 't',
    SMS_REQUESTS_QUEUE_URL: 'http://localhost/q',
    INVITE_EVENTS_QUEUE_URL: 'http://localhost/q',
    INVITE_EVENTS_DLQ_URL: 'http://localhost/q',
  };
  const production = t.throws(
    () =>
      readInviteApiConfig({
        ...env,
        NODE_ENV: 'production',
        AUTH_MODE: 'local',
        JWT_JWKS_URL: 'https://idp.example/jwks.json',
      }),
    { instanceOf: ConfigError },
  );
  t.regex(production?.message ?? '', /AUTH_MODE: local sign-in is refused when NODE_ENV=production/);
  const noSecret = t.throws(
    () => readInviteApiConfig({ ...env, AUTH_MODE: 'local', JWT_JWKS_URL: 'https://idp.example/jwks.json' }),
    { instanceOf: ConfigError },
  );
  t.regex(noSecret?.message ?? '', /AUTH_MODE: local needs JWT_SECRET/);
  const badCountry = t.throws(
    () => readInviteApiConfig({ ...env, JWT_SECRET: 'x'.repeat(32), DEFAULT_COUNTRY: 'XX' }),
    {
      instanceOf: ConfigError,
    },
  );
  t.regex(badCountry?.message ?? '', /DEFAULT_COUNTRY/);
});

test('the landing page: who invited, no phone number, og:image; unknown and malformed codes are one 404', async (t) => {
  const h = await useHarness(t);
  const created = (await (
    await h.request('/api/invitations', { method: 'POST', as: 'ada', json: { phoneNumber: '+14155552671' } })
  ).json()) as ApiBody;
  const res = await h.request(`/invite/${String(created.inviteCode)}`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const html = await res.text();
  t.true(html.includes('User ada invited you'));
  t.false(html.includes('2671'), 'the number is never shown');
  t.regex(html, /<meta property="og:image" content="https:\/\/app\.example\/static\/share-card\.png\?v=/);

  const pages = await Promise.all(
    ['/invite/APP-ZZZZZZ', '/invite/nonsense', `/invite/${'A'.repeat(500)}`, '/invite/%F0%9F%92%A9'].map(
      (path) => h.request(path),
    ),
  );
  const bodies = await Promise.all(pages.map((p) => p.text()));
  t.deepEqual(
    pages.map((p) => p.status),
    [404, 404, 404, 404],
  );
  t.true(
    bodies.every((body) => body === bodies[0]),
    'an unknown code reveals nothing about why',
  );
  // The lower-case form of a real code is the same invitation (codes are read case-insensitively).
  t.is((await h.request(`/invite/${String(created.inviteCode).toLowerCase()}`)).status, 200);
});

test('GET /api/invitations answers 304 to If-None-Match while nothing changed', async (t) => {
  const h = await useHarness(t);
  await h.request('/api/invitations', {
    method: 'POST',
    as: 'poller',
    json: { phoneNumber: '+14155552672' },
  });
  const first = await h.request('/api/invitations', { as: 'poller' });
  const etag = first.headers.get('etag') ?? '';
  t.truthy(etag);
  const same = await h.request('/api/invitations', { as: 'poller', headers: { 'if-none-match': etag } });
  t.is(same.status, 304);
  t.is(await same.text(), '');
  await h.request('/api/invitations', {
    method: 'POST',
    as: 'poller',
    json: { phoneNumber: '+14155552673' },
  });
  const changed = await h.request('/api/invitations', { as: 'poller', headers: { 'if-none-match': etag } });
  t.is(changed.status, 200);
  t.is(((await documented(t, changed, 'get', '/api/invitations')).invitations as unknown[]).length, 2);
});

test('DEFAULT_COUNTRY: national numbers are read in that country; without it only international format', async (t) => {
  const us = await useHarness(t, { env: { DEFAULT_COUNTRY: 'US' } });
  const national = await us.request('/api/invitations', {
    method: 'POST',
    as: 'nat',
    json: { phoneNumber: '(415) 555-2674' },
  });
  t.is(national.status, 201);
  t.is(((await national.json()) as ApiBody).phoneNumber, '+14155552674');
  const stillInvalid = await us.request('/api/invitations', {
    method: 'POST',
    as: 'nat',
    json: { phoneNumber: '555-1234' },
  });
  t.is(stillInvalid.status, 400);

  const international = await useHarness(t);
  const refused = await international.request('/api/invitations', {
    method: 'POST',
    as: 'nat',
    json: { phoneNumber: '(415) 555-2674' },
  });
  t.is(refused.status, 400);
  t.is(((await refused.json()) as ApiBody).error?.details?.reason, 'NOT_INTERNATIONAL_FORMAT');
});

test('the landing page under its address limit answers a readable 429 page with Retry-After', async (t) => {
  const h = await useHarness(t, { env: { IP_RATE_LIMIT: '1', IP_RATE_WINDOW_SECONDS: '600' } });
  t.is((await h.request('/invite/APP-ZZZZZZ')).status, 404);
  const limited = await h.request('/invite/APP-ZZZZZZ');
  t.is(limited.status, 429);
  t.regex(limited.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(limited.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
  t.regex(await limited.text(), /try again in a minute/);
});
