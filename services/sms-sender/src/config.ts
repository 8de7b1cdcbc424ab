import { bool, intInRange, numberInRange, readConfig, str, url } from '@platform/config';
import { ConfigError } from '@platform/errors';
import { consumerConfigSpec, readConsumerConfig, type ConsumerConfig } from '@platform/reliable-consumer';
import type { UnknownOutcomePolicy } from './smsSender.ts';
import { TWILIO_DEFAULT_BASE_URL } from './providers/twilio.ts';

/**
 * The sms-sender's environment, read once in main.ts. Defaults suit one pod in production; every
 * bound names its source. Provider-specific variables are checked only for the chosen provider.
 */
const spec = {
  SMS_REQUESTS_QUEUE_URL: url({ desc: 'The sms-requests queue (sms.requested v1)' }),
  SMS_REQUESTS_DLQ_URL: url({ desc: 'Its dead-letter queue (poison messages go there at once)' }),
  SMS_MESSAGES_TABLE: str({ desc: 'The send ledger table (partition key invitationId, TTL ttl)' }),
  INVITE_EVENTS_QUEUE_URL: url({ desc: 'Where sms.status and sms.optout v1 events go (read by invite-api)' }),
  SMS_DIRECTORY_TABLE: str({
    desc: 'Message id -> invitation (receipts) and the opt-out list (partition key pk, TTL ttl)',
  }),
  // Delivery receipts and inbound STOP/START of AWS End User Messaging SMS (SNS topic -> this queue).
  SMS_EVENTS_QUEUE_URL: str({ default: '', desc: 'The sms-events queue; empty = do not consume' }),
  SMS_EVENTS_DLQ_URL: str({
    default: '',
    desc: 'Its dead-letter queue (required with SMS_EVENTS_QUEUE_URL)',
  }),

  SMS_PROVIDER: str({ choices: ['sns', 'twilio', 'local'], desc: 'No default: production must choose' }),
  // SNS: both optional, only where the destination country supports them.
  SMS_SENDER_ID: str({
    default: '',
    desc: 'SNS AWS.SNS.SMS.SenderID: 1-11 letters/digits, at least one letter',
  }),
  SMS_ORIGINATION_NUMBER: str({ default: '', desc: 'SNS AWS.MM.SMS.OriginationNumber, E.164' }),
  // Twilio: required when SMS_PROVIDER=twilio.
  TWILIO_ACCOUNT_SID: str({ default: '' }),
  TWILIO_AUTH_TOKEN: str({ default: '' }),
  TWILIO_FROM_NUMBER: str({ default: '', desc: 'E.164 sender; or TWILIO_MESSAGING_SERVICE_SID' }),
  TWILIO_MESSAGING_SERVICE_SID: str({ default: '' }),
  TWILIO_API_BASE_URL: url({ default: TWILIO_DEFAULT_BASE_URL }),
  TWILIO_WEBHOOK_BASE_URL: str({
    default: '',
    desc: 'Public https origin Twilio calls for status callbacks and inbound SMS; empty = no receipts',
  }),
  WEBHOOK_PORT: intInRange(0, 65_535)({ default: 8083, desc: 'Twilio webhooks (status, inbound); 0 = any' }),
  WEBHOOK_HOST: str({ default: '0.0.0.0', desc: 'Bind address of the webhook server' }),
  // Local outbox (the embedded default).
  OUTBOX_DIR: str({ default: '.data/sms-outbox', desc: 'Directory of outbox.jsonl' }),
  OUTBOX_PORT: intInRange(0, 65_535)({ default: 8025, desc: 'Outbox page; 0 = any free port' }),
  OUTBOX_HOST: str({
    default: '127.0.0.1',
    desc: 'The page shows full numbers: loopback unless you mean it',
  }),
  SMS_LOCAL_FAILURE_RATE: numberInRange(
    0,
    1,
  )({ default: 0, desc: 'Share of local sends failing transiently' }),
  SMS_LOCAL_MAGIC_NUMBERS: bool({
    default: true,
    desc: 'Numbers ending 9990-9994 fail on purpose (see docs)',
  }),
  SMS_LOCAL_SLOW_MS: intInRange(0, 600_000)({ default: 3_000, desc: 'Duration of a send to a …9994 number' }),
  SMS_LOCAL_RECEIPT_DELAY_MS: intInRange(
    -1,
    600_000,
  )({ default: 1_000, desc: 'Simulated delivery receipt after a local send; -1 = none' }),

  // Amazon SNS's default account quota is 20 SMS per second (AWS General Reference, SNS quotas);
  // with several replicas set this to the account quota divided by the replica count.
  SMS_RATE_PER_SECOND: numberInRange(0.01, 10_000)({ default: 20 }),
  SMS_RATE_BURST: intInRange(
    1,
    10_000,
  )({
    default: 1,
    desc: 'Token bucket size; 1 = evenly paced, larger lets a burst through at once',
  }),
  SMS_MAX_ATTEMPTS: intInRange(
    1,
    100,
  )({ default: 4, desc: 'Provider attempts per invitation before failed' }),
  SMS_PROVIDER_TIMEOUT_MS: intInRange(100, 120_000)({ default: 10_000, desc: 'Per provider call' }),
  SMS_UNKNOWN_OUTCOME_POLICY: str({ choices: ['resend', 'give-up'], default: 'resend' }),

  ...consumerConfigSpec({
    concurrency: 8,
    visibilityTimeoutSeconds: 30,
    heartbeatIntervalSeconds: 10,
    leaseDurationMs: 30_000,
    shutdownGraceMs: 20_000,
    healthPort: 8082,
    backoffBaseSeconds: 2,
    backoffMaxSeconds: 120,
    ledgerRetentionDays: 30,
    // Longer than SQS's 14-day maximum retention, so a message redelivered at any time still finds
    // its ledger record and is never sent twice.
    minLedgerRetentionDays: 15,
  }),
};

export type SmsProviderConfig =
  | { name: 'sns'; senderId: string | undefined; originationNumber: string | undefined }
  | {
      name: 'twilio';
      accountSid: string;
      authToken: string;
      baseUrl: string;
      sender: { from: string } | { messagingServiceSid: string };
      /** Public origin of the webhooks (StatusCallback, signature URL); undefined = no receipts. */
      webhookBaseUrl: string | undefined;
      webhookPort: number;
      webhookHost: string;
    }
  | {
      name: 'local';
      outboxDir: string;
      outboxPort: number;
      outboxHost: string;
      failureRate: number;
      magicNumbers: boolean;
      slowMs: number;
      receiptDelayMs: number;
    };

export interface SmsSenderConfig extends ConsumerConfig {
  queueUrl: string;
  dlqUrl: string;
  table: string;
  inviteEventsQueueUrl: string;
  directoryTable: string;
  /** End User Messaging events and inbound SMS; undefined when not configured. */
  smsEvents: { queueUrl: string; dlqUrl: string } | undefined;
  provider: SmsProviderConfig;
  rate: { ratePerSecond: number; burst: number };
  maxAttempts: number;
  providerTimeoutMs: number;
  onUnknownOutcome: UnknownOutcomePolicy;
}

const E164 = /^\+[1-9]\d{1,14}$/;
// SNS sender IDs: up to 11 alphanumeric characters, at least one letter, no spaces.
const SENDER_ID = /^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/;
// Twilio SIDs: a two-letter prefix and 32 hex digits.
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

function providerConfig(
  c: ReturnType<typeof readConfig<typeof spec>>,
  problems: string[],
): SmsProviderConfig {
  const name = c.SMS_PROVIDER;
  if (name === 'sns') {
    if (c.SMS_SENDER_ID !== '' && !SENDER_ID.test(c.SMS_SENDER_ID)) {
      problems.push(
        `SMS_SENDER_ID: must be 1-11 letters or digits with at least one letter (received ${JSON.stringify(c.SMS_SENDER_ID)})`,
      );
    }
    if (c.SMS_ORIGINATION_NUMBER !== '' && !E164.test(c.SMS_ORIGINATION_NUMBER)) {
      problems.push(
        `SMS_ORIGINATION_NUMBER: must be an E.164 number such as +14155552671 (received ${JSON.stringify(c.SMS_ORIGINATION_NUMBER)})`,
      );
    }
    return {
      name,
      senderId: c.SMS_SENDER_ID || undefined,
      originationNumber: c.SMS_ORIGINATION_NUMBER || undefined,
    };
  }
  if (name === 'twilio') {
    if (!ACCOUNT_SID.test(c.TWILIO_ACCOUNT_SID)) {
      // Never echo credentials: only say whether it was set.
      problems.push(
        `TWILIO_ACCOUNT_SID: required for SMS_PROVIDER=twilio, "AC" and 32 hex digits (${c.TWILIO_ACCOUNT_SID === '' ? 'not set' : 'malformed'})`,
      );
    }
    if (c.TWILIO_AUTH_TOKEN === '')
      problems.push('TWILIO_AUTH_TOKEN: required for SMS_PROVIDER=twilio, but it is not set');
    const from = c.TWILIO_FROM_NUMBER;
    const service = c.TWILIO_MESSAGING_SERVICE_SID;
    if ((from === '') === (service === '')) {
      problems.push(
        'TWILIO_FROM_NUMBER: set exactly one of TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID for SMS_PROVIDER=twilio',
      );
    } else if (from !== '' && !E164.test(from)) {
      problems.push(`TWILIO_FROM_NUMBER: must be an E.164 number (received ${JSON.stringify(from)})`);
    } else if (service !== '' && !MESSAGING_SERVICE_SID.test(service)) {
      problems.push(
        `TWILIO_MESSAGING_SERVICE_SID: must be "MG" and 32 hex digits (received ${JSON.stringify(service)})`,
      );
    }
    const webhook = c.TWILIO_WEBHOOK_BASE_URL.replace(/\/+$/, '');
    if (webhook !== '' && !isHttpUrl(webhook)) {
      problems.push(
        `TWILIO_WEBHOOK_BASE_URL: must be an http(s) origin such as https://sms.example.com (received ${JSON.stringify(webhook)})`,
      );
    }
    return {
      name,
      accountSid: c.TWILIO_ACCOUNT_SID,
      authToken: c.TWILIO_AUTH_TOKEN,
      baseUrl: c.TWILIO_API_BASE_URL,
      sender: from !== '' ? { from } : { messagingServiceSid: service },
      webhookBaseUrl: webhook || undefined,
      webhookPort: c.WEBHOOK_PORT,
      webhookHost: c.WEBHOOK_HOST,
    };
  }
  return {
    name: 'local',
    outboxDir: c.OUTBOX_DIR,
    outboxPort: c.OUTBOX_PORT,
    outboxHost: c.OUTBOX_HOST,
    failureRate: c.SMS_LOCAL_FAILURE_RATE,
    magicNumbers: c.SMS_LOCAL_MAGIC_NUMBERS,
    slowMs: c.SMS_LOCAL_SLOW_MS,
    receiptDelayMs: c.SMS_LOCAL_RECEIPT_DELAY_MS,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Throws one ConfigError naming every bad variable (main.ts turns it into exit 78). */
export function readSmsSenderConfig(env: NodeJS.ProcessEnv = process.env): SmsSenderConfig {
  const c = readConfig(spec, env);
  const problems: string[] = [];
  const provider = providerConfig(c, problems);
  const consumer = readConsumerConfig(c, problems);
  if (c.SMS_PROVIDER_TIMEOUT_MS >= c.LEASE_DURATION_MS) {
    problems.push(
      `SMS_PROVIDER_TIMEOUT_MS: must be below LEASE_DURATION_MS (${c.LEASE_DURATION_MS}), so a call ends before its lease can be taken over (received ${c.SMS_PROVIDER_TIMEOUT_MS})`,
    );
  }
  if (c.MAX_RECEIVE_COUNT !== 0 && c.SMS_MAX_ATTEMPTS > c.MAX_RECEIVE_COUNT) {
    problems.push(
      `SMS_MAX_ATTEMPTS: must not exceed MAX_RECEIVE_COUNT (${c.MAX_RECEIVE_COUNT}); SQS would dead-letter the message before the last attempt (received ${c.SMS_MAX_ATTEMPTS})`,
    );
  }
  const eventsQueue = c.SMS_EVENTS_QUEUE_URL;
  const eventsDlq = c.SMS_EVENTS_DLQ_URL;
  if (eventsQueue !== '' && !isHttpUrl(eventsQueue))
    problems.push(`SMS_EVENTS_QUEUE_URL: must be a queue URL (received ${JSON.stringify(eventsQueue)})`);
  if ((eventsQueue === '') !== (eventsDlq === '') || (eventsDlq !== '' && !isHttpUrl(eventsDlq))) {
    problems.push(
      'SMS_EVENTS_DLQ_URL: set both SMS_EVENTS_QUEUE_URL and SMS_EVENTS_DLQ_URL (queue URLs), or neither',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    queueUrl: c.SMS_REQUESTS_QUEUE_URL,
    dlqUrl: c.SMS_REQUESTS_DLQ_URL,
    table: c.SMS_MESSAGES_TABLE,
    inviteEventsQueueUrl: c.INVITE_EVENTS_QUEUE_URL,
    directoryTable: c.SMS_DIRECTORY_TABLE,
    smsEvents: eventsQueue === '' ? undefined : { queueUrl: eventsQueue, dlqUrl: eventsDlq },
    provider,
    rate: {
      ratePerSecond: c.SMS_RATE_PER_SECOND,
      burst: c.SMS_RATE_BURST,
    },
    maxAttempts: c.SMS_MAX_ATTEMPTS,
    providerTimeoutMs: c.SMS_PROVIDER_TIMEOUT_MS,
    onUnknownOutcome: c.SMS_UNKNOWN_OUTCOME_POLICY,
    ...consumer,
  };
}
