import { ConfigError } from '@platform/errors';
import test from 'ava';
import { readSmsSenderConfig } from '../../src/config.ts';

const base = {
  SMS_REQUESTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/dev-sms-requests',
  SMS_REQUESTS_DLQ_URL: 'http://127.0.0.1:4566/000000000000/dev-sms-requests-dlq',
  SMS_MESSAGES_TABLE: 'dev-sms-messages',
  INVITE_EVENTS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/dev-invite-events',
  SMS_DIRECTORY_TABLE: 'dev-sms-directory',
};

function problems(env: Record<string, string>): string {
  const error = (() => {
    try {
      readSmsSenderConfig(env);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.problems.join('\n');
}

test('a minimal local setup reads with production defaults', (t) => {
  const config = readSmsSenderConfig({ ...base, SMS_PROVIDER: 'local' });
  t.is(config.provider.name, 'local');
  t.deepEqual(config.rate, { ratePerSecond: 20, burst: 1 });
  t.is(config.onUnknownOutcome, 'resend');
  t.is(config.maxReceiveCount, undefined);
  t.is(config.ledgerRetentionMs, 30 * 24 * 3600 * 1000);
});

test('missing queue, table and provider are all named at once', (t) => {
  const text = problems({});
  for (const name of [
    'SMS_REQUESTS_QUEUE_URL',
    'SMS_REQUESTS_DLQ_URL',
    'SMS_MESSAGES_TABLE',
    'INVITE_EVENTS_QUEUE_URL',
    'SMS_PROVIDER',
  ]) {
    t.regex(text, new RegExp(`${name}: required`));
  }
});

test('out-of-range numbers name the variable, the limit and the value', (t) => {
  const text = problems({
    ...base,
    SMS_PROVIDER: 'local',
    SMS_RATE_PER_SECOND: '0',
    SMS_LOCAL_FAILURE_RATE: '2',
  });
  t.regex(text, /SMS_RATE_PER_SECOND: .*between 0.01 and 10000.*received "0"/);
  t.regex(text, /SMS_LOCAL_FAILURE_RATE: .*between 0 and 1.*received "2"/);
});

test('sns: sender id and origination number are validated', (t) => {
  const text = problems({
    ...base,
    SMS_PROVIDER: 'sns',
    SMS_SENDER_ID: 'way too long id',
    SMS_ORIGINATION_NUMBER: '555',
  });
  t.regex(text, /SMS_SENDER_ID: must be 1-11 letters or digits/);
  t.regex(text, /SMS_ORIGINATION_NUMBER: must be an E.164 number/);
  const ok = readSmsSenderConfig({ ...base, SMS_PROVIDER: 'sns', SMS_SENDER_ID: 'MyApp' });
  t.deepEqual(ok.provider, { name: 'sns', senderId: 'MyApp', originationNumber: undefined });
});

test('twilio: credentials and exactly one sender are required; the token is never echoed', (t) => {
  const text = problems({ ...base, SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'nope-secret-sid' });
  t.regex(text, /TWILIO_ACCOUNT_SID: required for SMS_PROVIDER=twilio.*malformed/);
  t.regex(text, /TWILIO_AUTH_TOKEN: required/);
  t.regex(text, /TWILIO_FROM_NUMBER: set exactly one of/);
  t.notRegex(text, /nope-secret-sid/);

  const both = problems({
    ...base,
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'token-value',
    TWILIO_FROM_NUMBER: '+18005550100',
    TWILIO_MESSAGING_SERVICE_SID: `MG${'0'.repeat(32)}`,
  });
  t.regex(both, /set exactly one of TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID/);
  t.notRegex(both, /token-value/);
});

test('timing relations are checked: heartbeat < visibility, provider timeout < lease, attempts <= receives', (t) => {
  const text = problems({
    ...base,
    SMS_PROVIDER: 'local',
    VISIBILITY_TIMEOUT_SECONDS: '10',
    HEARTBEAT_INTERVAL_SECONDS: '10',
    LEASE_DURATION_MS: '15000',
    SMS_PROVIDER_TIMEOUT_MS: '20000',
    MAX_RECEIVE_COUNT: '3',
    SMS_MAX_ATTEMPTS: '4',
  });
  t.regex(text, /HEARTBEAT_INTERVAL_SECONDS: must be below VISIBILITY_TIMEOUT_SECONDS/);
  t.regex(text, /SMS_PROVIDER_TIMEOUT_MS: must be below LEASE_DURATION_MS/);
  t.regex(text, /SMS_MAX_ATTEMPTS: must not exceed MAX_RECEIVE_COUNT \(3\)/);
});

test('ledger retention cannot drop below the SQS maximum retention (14 days)', (t) => {
  t.regex(
    problems({ ...base, SMS_PROVIDER: 'local', LEDGER_RETENTION_DAYS: '7' }),
    /LEDGER_RETENTION_DAYS: .*between 15 and 3650/,
  );
});
