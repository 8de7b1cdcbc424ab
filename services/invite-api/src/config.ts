import { ConfigError } from '@platform/errors';
import { intInRange, readConfig, str, url } from '@platform/config';
import { readPrefixedConsumerSettings, type QueueConsumerSettings } from '@platform/reliable-consumer';
import { LOCAL_DEV_JWT } from './auth/mintToken.ts';
import type { JwtKeySource } from './auth/jwtAuthenticator.ts';
import { getCountries, type CountryCode } from 'libphonenumber-js';
import type { RewardPolicy } from './domain/rewards.ts';

const HOUR_MS = 3_600_000;

/**
 * Every variable invite-api reads. Telemetry's own (LOG_LEVEL, METRICS_*, OTEL_*) are read once by
 * @platform/telemetry through the service bootstrap; the invite-events consumer's by
 * readPrefixedConsumerSettings (INVITE_EVENTS_*), with the same names and checks as every consumer.
 */
const spec = {
  NODE_ENV: str({ default: 'development' }),
  PORT: intInRange(0, 65_535)({ default: 8080, desc: '0 picks a free port (tests); the port is logged' }),
  INVITATIONS_TABLE: str({ desc: 'the <env>-invitations table' }),
  SMS_REQUESTS_QUEUE_URL: url(),
  INVITE_EVENTS_QUEUE_URL: url(),
  INVITE_EVENTS_DLQ_URL: url(),

  JWT_SECRET: str({ default: '', desc: 'HS256 secret (local); exactly one of JWT_SECRET and JWT_JWKS_URL' }),
  JWT_JWKS_URL: str({ default: '', desc: "the identity provider's JWKS URL (production)" }),
  JWT_ISSUER: str({ default: LOCAL_DEV_JWT.issuer }),
  JWT_AUDIENCE: str({ default: LOCAL_DEV_JWT.audience }),
  JWT_CLOCK_TOLERANCE_SECONDS: intInRange(0, 300)({ default: 30 }),

  REFERRAL_BASE_URL: url({ default: 'http://localhost:8080' }),
  ALLOWED_COUNTRIES: str({ default: 'US,CA,GB', desc: "ISO 3166 alpha-2 codes, comma-separated, or '*'" }),
  LIMIT_PER_USER_PER_DAY: intInRange(1, 10_000)({ default: 10 }),
  LIMIT_PHONE_WINDOW_HOURS: intInRange(1, 24 * 30)({ default: 24 }),
  GLOBAL_SMS_PER_HOUR: intInRange(1, 10_000_000)({ default: 1000 }),
  GLOBAL_SMS_COUNTER_SHARDS: intInRange(
    1,
    100,
  )({ default: 10, desc: 'items the hourly counter is split into' }),
  IP_RATE_LIMIT: intInRange(1, 1_000_000)({ default: 60, desc: 'requests per client address per window' }),
  IP_RATE_WINDOW_SECONDS: intInRange(1, 86_400)({ default: 60 }),
  TRUSTED_PROXY_HOPS: intInRange(0, 10)({ default: 0 }),
  BODY_LIMIT_BYTES: intInRange(256, 1_048_576)({ default: 4096 }),

  OUTBOX_RELAY_INTERVAL_MS: intInRange(50, 600_000)({ default: 2000 }),
  OUTBOX_GRACE_MS: intInRange(0, 600_000)({ default: 10_000 }),
  SQS_SEND_TIMEOUT_MS: intInRange(100, 60_000)({ default: 3000 }),
  OUTBOX_SEND_LINGER_MS: intInRange(
    0,
    10_000,
  )({
    // About one request's interval at ~45 req/s per pod (docs/performance.md, "Batched post-response work").
    default: 25,
    desc: "how long the request path's first sms.requested waits for others to share its SendMessageBatch",
  }),
  SHUTDOWN_TIMEOUT_MS: intInRange(0, 120_000)({ default: 10_000 }),

  // The invitation product (docs/invitations.md, "Expiry, revoke and resend" and "Rewards").
  AUTH_MODE: str({
    choices: ['jwt', 'local'],
    default: 'jwt',
    desc: 'local: the pages offer local sign-in (POST /api/dev/session); never with NODE_ENV=production',
  }),
  DEFAULT_COUNTRY: str({
    default: '',
    desc: 'ISO 3166 alpha-2 region national numbers are read in (e.g. US); empty: international format only',
  }),
  INVITE_TTL_DAYS: intInRange(1, 365)({ default: 14 }),
  MAX_RESENDS: intInRange(0, 10)({ default: 3, desc: 'times one invitation can be sent again' }),
  RESEND_COOLDOWN_SECONDS: intInRange(
    0,
    7 * 86_400,
  )({
    default: 900,
    desc: 'minimum time between two SMS of one invitation',
  }),
  REFERRAL_REWARD_POINTS: intInRange(0, 1_000_000)({ default: 100 }),
  REWARD_CAP_PER_INVITER: intInRange(
    0,
    1_000_000,
  )({
    default: 20,
    desc: 'accepted invitations that earn the inviter a reward',
  }),
  WELCOME_REWARD_POINTS: intInRange(0, 1_000_000)({ default: 0, desc: '0: no welcome reward' }),

  // Share cards (docs/invitations.md, "Share cards"): all three set, or none (cards off).
  IMAGE_JOBS_QUEUE_URL: str({ default: '', desc: 'the image-jobs queue; empty: no share cards' }),
  IMAGE_JOBS_TABLE: str({ default: '', desc: 'the <env>-image-jobs ledger' }),
  ASSETS_BUCKET: str({ default: '', desc: 'the generated-assets bucket the cards are read from' }),
};

/** Where share cards are requested and read; undefined: share cards are off. */
export interface ShareCardConfig {
  queueUrl: string;
  tableName: string;
  bucket: string;
}

export interface InviteApiConfig {
  production: boolean;
  port: number;
  table: string;
  smsRequestsQueueUrl: string;
  inviteEventsQueueUrl: string;
  inviteEventsDlqUrl: string;
  jwt: { key: JwtKeySource; issuer: string; audience: string; clockToleranceSeconds: number };
  referralBaseUrl: string;
  allowedCountries: ReadonlySet<string> | '*';
  limits: { perUserPerDay: number; phoneWindowMs: number; globalPerHour: number; globalShards: number };
  ipLimit: { limit: number; windowSeconds: number };
  trustedProxyHops: number;
  bodyLimitBytes: number;
  outbox: { relayIntervalMs: number; graceMs: number; sendTimeoutMs: number; sendLingerMs: number };
  /** The invite-events consumer (INVITE_EVENTS_CONCURRENCY, _VISIBILITY_TIMEOUT_SECONDS, ...). */
  inviteEvents: QueueConsumerSettings;
  shutdownTimeoutMs: number;
  /** `local`: local sign-in pages and POST /api/dev/session exist (refused in production). */
  authMode: 'jwt' | 'local';
  defaultCountry: CountryCode | undefined;
  inviteTtlMs: number;
  resend: { max: number; cooldownMs: number };
  rewards: RewardPolicy;
  shareCards: ShareCardConfig | undefined;
}

/** Reads and checks the environment once; every problem is reported in one ConfigError. */
export function readInviteApiConfig(env: NodeJS.ProcessEnv = process.env): InviteApiConfig {
  const problems: string[] = [];
  const inviteEvents = readInviteEventsSettings(env, problems);
  let raw: ReturnType<typeof readConfig<typeof spec>>;
  try {
    raw = readConfig(spec, env);
  } catch (error) {
    // One list: the consumer settings' problems beside the rest.
    if (error instanceof ConfigError) throw new ConfigError([...error.problems, ...problems]);
    throw error;
  }
  const production = raw.NODE_ENV === 'production';

  let key: JwtKeySource | undefined;
  if ((raw.JWT_SECRET === '') === (raw.JWT_JWKS_URL === '')) {
    problems.push(
      'JWT_SECRET / JWT_JWKS_URL: set exactly one of them (a secret for local HS256, a JWKS URL in production)',
    );
  } else if (raw.JWT_SECRET !== '') {
    if (raw.JWT_SECRET.length < 32) {
      problems.push(
        `JWT_SECRET: must be at least 32 characters (HS256 key size), received ${raw.JWT_SECRET.length}`,
      );
    } else if (production && raw.JWT_SECRET === LOCAL_DEV_JWT.secret) {
      problems.push('JWT_SECRET: the published local development secret is refused when NODE_ENV=production');
    }
    key = { kind: 'secret', secret: raw.JWT_SECRET };
  } else {
    if (!/^https:\/\//.test(raw.JWT_JWKS_URL) && production) {
      problems.push(
        `JWT_JWKS_URL: must be an https URL in production (received ${JSON.stringify(raw.JWT_JWKS_URL)})`,
      );
    }
    try {
      new URL(raw.JWT_JWKS_URL);
    } catch {
      problems.push(`JWT_JWKS_URL: invalid URL (received ${JSON.stringify(raw.JWT_JWKS_URL)})`);
    }
    key = { kind: 'jwks', url: raw.JWT_JWKS_URL };
  }

  if (raw.GLOBAL_SMS_COUNTER_SHARDS > raw.GLOBAL_SMS_PER_HOUR) {
    problems.push(
      `GLOBAL_SMS_COUNTER_SHARDS: must not exceed GLOBAL_SMS_PER_HOUR (${raw.GLOBAL_SMS_PER_HOUR}), each shard allows GLOBAL_SMS_PER_HOUR / shards; received ${raw.GLOBAL_SMS_COUNTER_SHARDS}`,
    );
  }
  const countries = raw.ALLOWED_COUNTRIES.split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== '');
  let allowedCountries: ReadonlySet<string> | '*' = '*';
  if (!(countries.length === 1 && countries[0] === '*')) {
    const bad = countries.filter((c) => !/^[A-Z]{2}$/.test(c));
    if (countries.length === 0 || bad.length > 0) {
      problems.push(
        `ALLOWED_COUNTRIES: must be ISO 3166-1 alpha-2 codes separated by commas, or '*' (received ${JSON.stringify(raw.ALLOWED_COUNTRIES)})`,
      );
    }
    allowedCountries = new Set(countries);
  }
  if (raw.AUTH_MODE === 'local') {
    if (production) problems.push('AUTH_MODE: local sign-in is refused when NODE_ENV=production');
    if (raw.JWT_SECRET === '') problems.push('AUTH_MODE: local needs JWT_SECRET (it mints HS256 tokens)');
  }
  const defaultCountry = raw.DEFAULT_COUNTRY.trim().toUpperCase();
  if (defaultCountry !== '' && !(getCountries() as string[]).includes(defaultCountry)) {
    problems.push(
      `DEFAULT_COUNTRY: must be an ISO 3166-1 alpha-2 region with a numbering plan, e.g. US (received ${JSON.stringify(raw.DEFAULT_COUNTRY)})`,
    );
  }
  const shareCards = readShareCardConfig(raw, problems);
  if (problems.length > 0 || key === undefined) throw new ConfigError(problems);

  return {
    production,
    port: raw.PORT,
    table: raw.INVITATIONS_TABLE,
    smsRequestsQueueUrl: raw.SMS_REQUESTS_QUEUE_URL,
    inviteEventsQueueUrl: raw.INVITE_EVENTS_QUEUE_URL,
    inviteEventsDlqUrl: raw.INVITE_EVENTS_DLQ_URL,
    jwt: {
      key,
      issuer: raw.JWT_ISSUER,
      audience: raw.JWT_AUDIENCE,
      clockToleranceSeconds: raw.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    referralBaseUrl: raw.REFERRAL_BASE_URL,
    allowedCountries,
    limits: {
      perUserPerDay: raw.LIMIT_PER_USER_PER_DAY,
      phoneWindowMs: raw.LIMIT_PHONE_WINDOW_HOURS * HOUR_MS,
      globalPerHour: raw.GLOBAL_SMS_PER_HOUR,
      globalShards: raw.GLOBAL_SMS_COUNTER_SHARDS,
    },
    ipLimit: { limit: raw.IP_RATE_LIMIT, windowSeconds: raw.IP_RATE_WINDOW_SECONDS },
    trustedProxyHops: raw.TRUSTED_PROXY_HOPS,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    outbox: {
      relayIntervalMs: raw.OUTBOX_RELAY_INTERVAL_MS,
      graceMs: raw.OUTBOX_GRACE_MS,
      sendTimeoutMs: raw.SQS_SEND_TIMEOUT_MS,
      sendLingerMs: raw.OUTBOX_SEND_LINGER_MS,
    },
    inviteEvents,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    authMode: raw.AUTH_MODE,
    defaultCountry: defaultCountry === '' ? undefined : (defaultCountry as CountryCode),
    inviteTtlMs: raw.INVITE_TTL_DAYS * 24 * HOUR_MS,
    resend: { max: raw.MAX_RESENDS, cooldownMs: raw.RESEND_COOLDOWN_SECONDS * 1000 },
    rewards: {
      referralPoints: raw.REFERRAL_REWARD_POINTS,
      capPerInviter: raw.REWARD_CAP_PER_INVITER,
      welcomePoints: raw.WELCOME_REWARD_POINTS,
    },
    shareCards,
  };
}

function readShareCardConfig(
  raw: { IMAGE_JOBS_QUEUE_URL: string; IMAGE_JOBS_TABLE: string; ASSETS_BUCKET: string },
  problems: string[],
): ShareCardConfig | undefined {
  const values = {
    IMAGE_JOBS_QUEUE_URL: raw.IMAGE_JOBS_QUEUE_URL.trim(),
    IMAGE_JOBS_TABLE: raw.IMAGE_JOBS_TABLE.trim(),
    ASSETS_BUCKET: raw.ASSETS_BUCKET.trim(),
  };
  const missing = Object.entries(values).filter(([, value]) => value === '');
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    problems.push(
      `${missing.map(([name]) => name).join(', ')}: share cards need IMAGE_JOBS_QUEUE_URL, IMAGE_JOBS_TABLE and ASSETS_BUCKET together (set all three, or none to turn cards off)`,
    );
    return undefined;
  }
  try {
    new URL(values.IMAGE_JOBS_QUEUE_URL);
  } catch {
    problems.push(
      `IMAGE_JOBS_QUEUE_URL: invalid URL (received ${JSON.stringify(values.IMAGE_JOBS_QUEUE_URL)})`,
    );
    return undefined;
  }
  return {
    queueUrl: values.IMAGE_JOBS_QUEUE_URL,
    tableName: values.IMAGE_JOBS_TABLE,
    bucket: values.ASSETS_BUCKET,
  };
}

/** Status events are small and applied idempotently: short visibility, quick retries. */
function readInviteEventsSettings(env: NodeJS.ProcessEnv, problems: string[]): QueueConsumerSettings {
  return readPrefixedConsumerSettings(
    env,
    'INVITE_EVENTS_',
    {
      concurrency: 10,
      visibilityTimeoutSeconds: 30,
      heartbeatIntervalSeconds: 10,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 60,
    },
    problems,
  );
}
