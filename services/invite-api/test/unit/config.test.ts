import test from 'ava';
import { ConfigError } from '@platform/errors';
import { LOCAL_DEV_JWT } from '../../src/auth/mintToken.ts';
import { readInviteApiConfig } from '../../src/config.ts';

const base = {
  INVITATIONS_TABLE: 'local-invitations',
  SMS_REQUESTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/local-sms-requests',
  INVITE_EVENTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/local-invite-events',
  INVITE_EVENTS_DLQ_URL: 'http://127.0.0.1:4566/000000000000/local-invite-events-dlq',
  JWT_SECRET: LOCAL_DEV_JWT.secret,
};

/** The problems of the ConfigError reading `env` throws. */
function problems(env: Record<string, string>): readonly string[] {
  try {
    readInviteApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: 10 per user per day, 24 h per number, US/CA/GB, 4 KiB bodies', (t) => {
  const config = readInviteApiConfig(base);
  t.deepEqual(config.limits, {
    perUserPerDay: 10,
    phoneWindowMs: 24 * 3_600_000,
    globalPerHour: 1000,
    globalShards: 10,
  });
  t.deepEqual(config.allowedCountries, new Set(['US', 'CA', 'GB']));
  t.is(config.bodyLimitBytes, 4096);
  t.deepEqual(config.jwt.key, { kind: 'secret', secret: LOCAL_DEV_JWT.secret });
});

test("'*' allows every country", (t) => {
  t.is(readInviteApiConfig({ ...base, ALLOWED_COUNTRIES: '*' }).allowedCountries, '*');
});

test('every problem is named at once', (t) => {
  const found = problems({
    ...base,
    JWT_SECRET: 'short',
    ALLOWED_COUNTRIES: 'US,usa',
  });
  t.true(found.some((p) => p.startsWith('JWT_SECRET: must be at least 32')));
  t.true(found.some((p) => p.startsWith('ALLOWED_COUNTRIES')));
});

test('exactly one of JWT_SECRET and JWT_JWKS_URL', (t) => {
  t.true(
    problems({ ...base, JWT_JWKS_URL: 'https://idp.example/jwks' }).some((p) => p.includes('exactly one')),
  );
  const { JWT_SECRET: _ignored, ...withoutSecret } = base;
  t.true(problems(withoutSecret).some((p) => p.includes('exactly one')));
  const jwks = readInviteApiConfig({ ...withoutSecret, JWT_JWKS_URL: 'https://idp.example/jwks' });
  t.deepEqual(jwks.jwt.key, { kind: 'jwks', url: 'https://idp.example/jwks' });
});

test('the published development secret is refused in production', (t) => {
  t.true(problems({ ...base, NODE_ENV: 'production' }).some((p) => p.includes('development secret')));
});

test('the global counter cannot have more shards than SMS per hour', (t) => {
  t.true(
    problems({ ...base, GLOBAL_SMS_PER_HOUR: '5' }).some((p) => p.startsWith('GLOBAL_SMS_COUNTER_SHARDS')),
  );
});

test('limits are bounded', (t) => {
  t.true(
    problems({ ...base, LIMIT_PER_USER_PER_DAY: '0' }).some((p) => p.startsWith('LIMIT_PER_USER_PER_DAY')),
  );
});

test('share cards: off without their variables, on with all three, refused with some', (t) => {
  t.is(readInviteApiConfig(base).shareCards, undefined);
  const cards = {
    IMAGE_JOBS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/local-image-jobs',
    IMAGE_JOBS_TABLE: 'local-image-jobs',
    ASSETS_BUCKET: 'local-generated-assets',
  };
  t.deepEqual(readInviteApiConfig({ ...base, ...cards }).shareCards, {
    queueUrl: cards.IMAGE_JOBS_QUEUE_URL,
    tableName: cards.IMAGE_JOBS_TABLE,
    bucket: cards.ASSETS_BUCKET,
  });
  const partial = problems({ ...base, IMAGE_JOBS_TABLE: cards.IMAGE_JOBS_TABLE });
  t.is(partial.length, 1);
  t.regex(partial[0] ?? '', /^IMAGE_JOBS_QUEUE_URL, ASSETS_BUCKET: share cards need/);
  t.regex(
    problems({ ...base, ...cards, IMAGE_JOBS_QUEUE_URL: 'not a url' }).join('\n'),
    /^IMAGE_JOBS_QUEUE_URL: invalid URL/m,
  );
});

test("OUTBOX_SEND_LINGER_MS: the request path's batch linger, defaulted and bounded", (t) => {
  t.is(readInviteApiConfig(base).outbox.sendLingerMs, 25);
  t.is(readInviteApiConfig({ ...base, OUTBOX_SEND_LINGER_MS: '0' }).outbox.sendLingerMs, 0);
  for (const bad of ['-1', '10001', '5ms', '2.5']) {
    t.true(
      problems({ ...base, OUTBOX_SEND_LINGER_MS: bad }).some((p) => p.startsWith('OUTBOX_SEND_LINGER_MS')),
      bad,
    );
  }
});
