/**
 * Property-based fuzz of request bodies and headers against invite-api running as a real process:
 * whatever a client sends, the answer is never a 5xx, every error is the JSON error shape, and the
 * process stays up.
 */
import test from 'ava';
import fc from 'fast-check';
import { useIsolatedAws } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerText = (maxLength: number) => fc.string({ unit: printable, maxLength });

const phoneLike = fc.oneof(
  fc.constantFrom('+14155552671', '+15551234567', '+447400123456', '+4915123456789', '+19005550100', '', '+'),
  fc.integer({ min: 0, max: 9999 }).map((n) => `+1415555${String(n).padStart(4, '0')}`),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^\+?[0-9 ().-]{0,30}$/),
);

const body = fc.oneof(
  fc.record({ phoneNumber: phoneLike }).map((value) => JSON.stringify(value)),
  fc.record({ phoneNumber: phoneLike }).map((value) => JSON.stringify(value)),
  fc.record({ phoneNumber: phoneLike }).map((value) => JSON.stringify(value)),
  fc
    .record({ inviteCode: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('APP-8F3K92')) })
    .map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .integer({ min: 3000, max: 6000 })
    .map((size) => JSON.stringify({ phoneNumber: '+14155552671', pad: 'x'.repeat(size) })),
  fc.constant(undefined),
);

test('fuzz: bodies and headers never produce a 5xx and never take the process down', async (t) => {
  const aws = await useIsolatedAws(t);
  const { service, baseUrl } = await startInviteApiProcess(t, aws, { BODY_LIMIT_BYTES: '4096' });
  const validTokens = await Promise.all(
    ['fuzz-a', 'fuzz-b', 'fuzz-c'].map((sub) =>
      mintToken({ sub, name: 'Fuzzy', ttlSeconds: 3600, ...LOCAL_DEV_JWT }),
    ),
  );

  const request = fc.record({
    // Weighted towards requests that get past the HTTP layer into validation, limits and DynamoDB.
    method: fc.oneof(
      { arbitrary: fc.constant('POST'), weight: 6 },
      { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), weight: 2 },
    ),
    path: fc.oneof(
      { arbitrary: fc.constant('/api/invitations'), weight: 6 },
      {
        arbitrary: fc.constantFrom('/api/invitations/accept', '/api/invitations/inv-1', '/healthz', '/docs'),
        weight: 2,
      },
      {
        arbitrary: fc
          .constantFrom('/api/invitations?limit=', '/api/invitations?cursor=', '/api/invitations/%E0%A4%A')
          .chain((prefix) => headerText(30).map((suffix) => `${prefix}${encodeURIComponent(suffix)}`)),
        weight: 1,
      },
      { arbitrary: headerText(40).map((text) => `/${encodeURIComponent(text)}`), weight: 1 },
      {
        arbitrary: fc
          .integer({ min: 100, max: 4000 })
          .map((length) => `/api/invitations/${'i'.repeat(length)}`),
        weight: 1,
      },
    ),
    authorization: fc.option(
      fc.oneof(
        { arbitrary: fc.constantFrom(...validTokens).map((token) => `Bearer ${token}`), weight: 6 },
        { arbitrary: headerText(200), weight: 1 },
        { arbitrary: headerText(200).map((text) => `Bearer ${text}`), weight: 1 },
      ),
      { nil: undefined, freq: 8 },
    ),
    contentType: fc.option(
      fc.oneof(
        { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 6 },
        {
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/json; charset=latin1',
            'application/csp-report',
          ),
          weight: 1,
        },
        { arbitrary: headerText(60), weight: 1 },
      ),
      { nil: undefined, freq: 8 },
    ),
    idempotencyKey: fc.option(headerText(300), { nil: undefined, freq: 3 }),
    forwardedFor: fc.option(headerText(60), { nil: undefined }),
    requestId: fc.option(headerText(80), { nil: undefined }),
    body,
  });

  let cases = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      cases++;
      const headers = new Headers();
      if (r.authorization !== undefined) headers.set('authorization', r.authorization);
      if (r.contentType !== undefined) headers.set('content-type', r.contentType);
      if (r.idempotencyKey !== undefined) headers.set('idempotency-key', r.idempotencyKey);
      if (r.forwardedFor !== undefined) headers.set('x-forwarded-for', r.forwardedFor);
      if (r.requestId !== undefined) headers.set('x-request-id', r.requestId);
      const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
      const res = await fetch(`${baseUrl}${r.path}`, {
        method: r.method,
        headers,
        ...(hasBody ? { body: r.body } : {}),
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`${res.status} for ${r.method} ${r.path}: ${text}`);
      if (res.status >= 400 && r.method !== 'HEAD') {
        const parsed = JSON.parse(text) as {
          success?: unknown;
          error?: { code?: unknown; message?: unknown };
        };
        if (
          parsed.success !== false ||
          typeof parsed.error?.code !== 'string' ||
          typeof parsed.error.message !== 'string'
        ) {
          throw new Error(`not the error shape: ${text}`);
        }
        if (
          r.authorization !== undefined &&
          r.authorization.length > 20 &&
          text.includes(r.authorization.slice(7))
        ) {
          throw new Error('the response echoes the token');
        }
      }
    }),
    // 400 cases take ~25 s here; on a loaded machine the time bound keeps the suite short, and the
    // assertion below still demands at least 100 cases.
    { numRuns: 400, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
  );

  t.log(
    `fuzz: ${cases} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
  );
  t.true(cases >= 100, `only ${cases} cases ran`);
  const health = await fetch(`${baseUrl}/healthz`);
  t.is(health.status, 200, 'the process is still up and serving');
  t.false(
    service.logs().some((line) => /uncaught|unhandled/i.test(line.text)),
    service.tail(),
  );
  t.false(
    service.logs().some((line) => line.json?.msg === 'request failed'),
    'no unexpected error was logged',
  );
});
