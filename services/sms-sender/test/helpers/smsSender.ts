import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeMessage, encodeMessage, type SmsRequested, type SmsStatus } from '@platform/contracts';
import { runService, type IsolatedAws, type LogLine, type RunningService } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import type { OutboxMessage } from '../../src/providers/local/outbox.ts';

export const SMS_SENDER_ENTRY = 'services/sms-sender/src/main.ts';

/** Queue settings for tests: short visibility so redeliveries happen in seconds. */
export const TEST_QUEUES = { smsRequests: { visibilityTimeoutSeconds: 3, maxReceiveCount: 5 } } as const;

/**
 * An sms-sender environment for tests: the isolated resources, the local provider writing to a
 * temp dir, free ports, and short timings so retries, lease expiries and redeliveries take seconds.
 */
export function senderEnv(aws: IsolatedAws, outboxDir: string, overrides: Record<string, string> = {}) {
  return {
    ...aws.env,
    OTEL_SERVICE_NAME: 'sms-sender',
    SMS_PROVIDER: 'local',
    OUTBOX_DIR: outboxDir,
    OUTBOX_PORT: '0',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'stdout',
    RECEIVE_WAIT_SECONDS: '1',
    VISIBILITY_TIMEOUT_SECONDS: '3',
    HEARTBEAT_INTERVAL_SECONDS: '1',
    // Generous against a loaded CI machine (an event loop stalled for seconds must not lose the
    // lease between heartbeats); crash tests wait for it to lapse.
    LEASE_DURATION_MS: '8000',
    SMS_PROVIDER_TIMEOUT_MS: '5000',
    SMS_LOCAL_SLOW_MS: '2000',
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_GRACE_MS: '10000',
    BACKOFF_BASE_SECONDS: '1',
    BACKOFF_MAX_SECONDS: '1',
    // Off unless a test is about receipts: the send-path tests count the statuses they see.
    SMS_LOCAL_RECEIPT_DELAY_MS: '-1',
    ...overrides,
  };
}

export interface StartedSender {
  service: RunningService;
  outboxDir: string;
  outboxUrl: string;
  healthPort: number;
}

export async function tempOutboxDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sms-sender-outbox-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a real sms-sender child process and waits for its "started" line. */
export async function startSender(
  t: ExecutionContext,
  aws: IsolatedAws,
  options: { name?: string; outboxDir?: string; env?: Record<string, string> } = {},
): Promise<StartedSender> {
  const outboxDir = options.outboxDir ?? (await tempOutboxDir(t));
  const service = runService(t, {
    name: options.name ?? 'sms-sender',
    entry: SMS_SENDER_ENTRY,
    env: senderEnv(aws, outboxDir, options.env),
  });
  const started = await service.waitForLog((line) => line.json?.msg === 'sms-sender started', 60_000);
  return {
    service,
    outboxDir,
    outboxUrl: String(started.json?.outboxUrl),
    healthPort: Number(started.json?.healthPort),
  };
}

/** A valid sms.requested v1 payload with a unique invitation id. */
export function smsRequest(overrides: Partial<SmsRequested> = {}): SmsRequested {
  const id = randomBytes(6).toString('hex');
  return {
    invitationId: `inv-${id}`,
    inviteCode: 'APP-8F3K92',
    phoneNumber: '+14155552671',
    inviterName: 'Ada Lovelace',
    text: `Ada Lovelace invited you to join. Use code APP-8F3K92: https://app.example/invite/APP-8F3K92 (${id})`,
    requestedAt: new Date().toISOString(),
    ...overrides,
  } as SmsRequested;
}

/** Enqueues the request as invite-api does; extra attributes (e.g. a traceparent) go on top. */
export async function enqueue(
  aws: IsolatedAws,
  request: SmsRequested,
  extraAttributes: Record<string, string> = {},
): Promise<void> {
  const encoded = encodeMessage('sms.requested', request);
  for (const [name, value] of Object.entries(extraAttributes)) {
    encoded.MessageAttributes[name] = { DataType: 'String', StringValue: value };
  }
  await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.urls.smsRequests, ...encoded }));
}

/** Every line of the outbox file: what "reached a handset". */
export async function outboxMessages(outboxDir: string): Promise<OutboxMessage[]> {
  const text = await readFile(join(outboxDir, 'outbox.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OutboxMessage);
}

export interface ReceivedStatus {
  status: SmsStatus;
  traceparent: string | undefined;
}

/**
 * Collects sms.status events from the invite-events queue (standing in for invite-api): each call
 * drains what is there, deletes it and adds it to `seen`.
 */
export function statusCollector(aws: IsolatedAws) {
  const seen: ReceivedStatus[] = [];
  return {
    seen,
    async drain(): Promise<ReceivedStatus[]> {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.inviteEvents,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        const decoded = decodeMessage(message);
        if (decoded.contract !== 'sms.status') throw new Error(`unexpected contract ${decoded.contract}`);
        seen.push({
          status: decoded.payload,
          traceparent: message.MessageAttributes?.traceparent?.StringValue,
        });
      }
      if (Messages.length > 0) {
        await aws.clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.urls.inviteEvents,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return seen;
    },
    of(invitationId: string): ReceivedStatus[] {
      return seen.filter((s) => s.status.invitationId === invitationId);
    },
    /** Drains, then returns this invitation's statuses if there are at least `count` (for waitFor). */
    async atLeast(
      invitationId: string,
      count = 1,
      status?: SmsStatus['status'],
    ): Promise<ReceivedStatus[] | undefined> {
      await this.drain();
      const mine = seen.filter(
        (s) => s.status.invitationId === invitationId && (status === undefined || s.status.status === status),
      );
      return mine.length >= count ? mine : undefined;
    },
  };
}

export async function ledgerItem(
  aws: IsolatedAws,
  invitationId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await aws.clients.documentClient.send(
    new GetCommand({ TableName: aws.tables.smsMessages, Key: { invitationId }, ConsistentRead: true }),
  );
  return Item;
}

/** Sum of an EMF Count metric printed by the service, for one provider. */
export function emfCount(service: RunningService, metric: string): number {
  return service
    .logs()
    .map((line: LogLine) => line.json)
    .filter((json): json is Record<string, unknown> => json !== undefined && '_aws' in json && metric in json)
    .reduce((sum, json) => sum + Number(json[metric]), 0);
}

/** Log lines (pino JSON) with this message, optionally for one invitation. */
export function logged(
  service: RunningService,
  msg: string,
  invitationId?: string,
): Array<Record<string, unknown>> {
  return service
    .logs()
    .flatMap((line) => (line.json === undefined ? [] : [line.json]))
    .filter((json) => json.msg === msg && (invitationId === undefined || json.invitationId === invitationId));
}
