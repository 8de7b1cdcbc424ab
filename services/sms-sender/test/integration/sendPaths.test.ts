// The sender's rarer paths, driven in-process (real ledger on DynamoDB Local, real local outbox, real
// SQS for status events) so a test can put the ledger in the state a crash would have left behind.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from '@platform/aws-resources';
import { createLeaseLedger, type HandlerContext, type LeaseLedger } from '@platform/reliable-consumer';
import { createLogger, createMetrics } from '@platform/telemetry';
import { startRequestCounter, useIsolatedAws, type IsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createLocalOutbox } from '../../src/providers/local/outbox.ts';
import { createTokenBucket } from '../../src/tokenBucket.ts';
import { createSendLedger } from '../../src/sendLedger.ts';
import { createSmsSender, type SmsSenderOptions } from '../../src/smsSender.ts';
import { createStatusPublisher } from '../../src/statusPublisher.ts';
import {
  ledgerItem,
  outboxMessages,
  smsRequest,
  statusCollector,
  tempOutboxDir,
} from '../helpers/smsSender.ts';

async function inProcessSender(
  t: ExecutionContext,
  aws: IsolatedAws,
  options: {
    ddb?: DynamoDBDocumentClient;
    sender?: Partial<SmsSenderOptions>;
    /** The lease ledger's monotonic clock (the holder's own deadline). */
    monotonic?: () => number;
    /** Wraps the lease ledger (e.g. to move the clock right after a write). */
    wrapLedger?: (ledger: LeaseLedger) => LeaseLedger;
  } = {},
) {
  const outboxDir = await tempOutboxDir(t);
  const outbox = createLocalOutbox({}, { dir: outboxDir });
  await outbox.open();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'sms-sender',
    level: 'debug',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const ddb = options.ddb ?? aws.clients.documentClient;
  const created = createLeaseLedger(
    { ddb, ...(options.monotonic === undefined ? {} : { monotonic: options.monotonic }) },
    {
      tableName: aws.tables.smsMessages,
      keyName: 'invitationId',
      leaseDurationMs: 30_000,
      ttlAttribute: 'ttl',
    },
  );
  const leaseLedger = options.wrapLedger?.(created) ?? created;
  const sender = createSmsSender(
    {
      provider: outbox,
      ledger: createSendLedger({ ledger: leaseLedger }),
      publisher: createStatusPublisher({ sqs: aws.clients.sqs }, { queueUrl: aws.urls.inviteEvents }),
      rateLimiter: createTokenBucket({}, { ratePerSecond: 100 }),
      metrics: createMetrics(
        { write: () => undefined },
        { namespace: 'Test', service: 'sms-sender', flushIntervalMs: 0 },
      ),
    },
    {
      workerId: 'test-worker',
      maxAttempts: 4,
      maxReceiveCount: 5,
      providerTimeoutMs: 5_000,
      onUnknownOutcome: 'resend',
      ...options.sender,
    },
  );
  /** One delivery of `payload`, as the consumer would hand it over. */
  const deliver = (payload: ReturnType<typeof smsRequest>, receiveCount = 1) =>
    sender.handle({
      contract: 'sms.requested',
      version: 1,
      payload,
      message: {},
      receiveCount,
      sentAt: Date.now(),
      signal: new AbortController().signal,
      log: logger,
      onHeartbeat: () => undefined,
    } as unknown as HandlerContext<'sms.requested'>);
  return { deliver, outboxDir, logs };
}

/** Writes the item a dead worker would have left: PROCESSING, lease expired. */
async function seedAbandoned(aws: IsolatedAws, invitationId: string, extra: Record<string, unknown>) {
  const now = Date.now();
  await aws.clients.documentClient.send(
    new PutCommand({
      TableName: aws.tables.smsMessages,
      Item: {
        invitationId,
        status: 'PROCESSING',
        leaseOwner: 'dead-worker/attempt-1',
        leaseExpiresAt: now - 1_000,
        version: 1,
        attempts: 1,
        createdAt: now - 60_000,
        updatedAt: now - 60_000,
        startedAt: now - 60_000,
        provider: 'local',
        ...extra,
      },
    }),
  );
}

test('a permanent verdict stored before a crash is honoured: no provider call, failed published', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deliver, outboxDir } = await inProcessSender(t, aws);
  const request = smsRequest();
  await seedAbandoned(aws, request.invitationId, {
    finalFailure: { code: 'OPTED_OUT', message: 'recipient opted out' },
    attemptLog: [
      {
        attempt: 1,
        attemptId: 'a1',
        provider: 'local',
        startedAt: 'x',
        outcome: 'failed-permanent',
        code: 'OPTED_OUT',
      },
    ],
  });

  t.deepEqual(await deliver(request), { kind: 'ack' });

  t.is((await outboxMessages(outboxDir)).length, 0);
  t.like(await ledgerItem(aws, request.invitationId), {
    status: 'FAILED',
    lastError: { code: 'OPTED_OUT', retryable: false },
  });
  const statuses = statusCollector(aws);
  t.like((await statuses.atLeast(request.invitationId))?.[0]?.status, {
    status: 'failed',
    error: { code: 'OPTED_OUT' },
  });
});

test('a live lease elsewhere defers the delivery until it ends, without sending', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deliver, outboxDir } = await inProcessSender(t, aws);
  const request = smsRequest();
  await seedAbandoned(aws, request.invitationId, { leaseExpiresAt: Date.now() + 20_000 });

  const outcome = await deliver(request);

  t.is(outcome.kind, 'defer');
  t.true(outcome.kind === 'defer' && outcome.delaySeconds >= 15 && outcome.delaySeconds <= 20);
  t.is((await outboxMessages(outboxDir)).length, 0);
});

test('a DynamoDB failure right after the provider accepted is retried, not turned into an unknown outcome', async (t) => {
  const aws = await useIsolatedAws(t);
  const proxy = await startRequestCounter({ target: aws.env.AWS_ENDPOINT_URL_DYNAMODB! });
  t.teardown(() => proxy.close());
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
  t.teardown(() => clients.destroy());
  const { deliver, outboxDir, logs } = await inProcessSender(t, aws, { ddb: clients.documentClient });
  const request = smsRequest();
  // UpdateItems of one send: acquire, in-flight mark, COMPLETED. Fail the COMPLETED write through
  // all of the SDK's own attempts (3) and once more, so our retry has to carry it.
  let updates = 0;
  const fault = proxy.addFault({
    match: (r) => r.operation === 'UpdateItem' && ++updates >= 3,
    status: 500,
    times: 4,
  });

  t.deepEqual(await deliver(request), { kind: 'ack' });

  t.is(fault.hits, 4);
  t.is((await outboxMessages(outboxDir)).length, 1);
  t.like(await ledgerItem(aws, request.invitationId), { status: 'COMPLETED', inFlight: null, attempts: 1 });
  t.is(logs.filter((l) => l.msg === 'recording the completion failed; retrying').length, 1);
  t.is(
    logs.filter((l) => String(l.msg).startsWith('provider accepted the SMS but recording it failed')).length,
    0,
  );
});

test("a lease that runs out (by the holder's own monotonic clock) between the in-flight mark and the provider call: no provider call, no further write", async (t) => {
  const aws = await useIsolatedAws(t);
  let now = 0;
  const writes: string[] = [];
  const { deliver, outboxDir, logs } = await inProcessSender(t, aws, {
    monotonic: () => now,
    wrapLedger: (ledger) => ({
      ...ledger,
      update: async (...args) => {
        writes.push('update');
        const record = await ledger.update(...args);
        // The process is paused right after the in-flight write, for longer than the 30 s lease.
        now += 31_000;
        return record;
      },
      complete: (...args) => (writes.push('complete'), ledger.complete(...args)),
      fail: (...args) => (writes.push('fail'), ledger.fail(...args)),
      release: (...args) => (writes.push('release'), ledger.release(...args)),
    }),
  });
  const request = smsRequest();

  const outcome = await deliver(request);

  t.deepEqual(outcome, { kind: 'retry', reason: 'LEASE_LOST' });
  t.is((await outboxMessages(outboxDir)).length, 0, 'the provider was never called');
  t.deepEqual(writes, ['update'], 'no write after the lease ran out');
  t.is(logs.filter((l) => l.msg === 'sms attempt').length, 0);
  // The in-flight mark stays: the next holder treats the attempt as "maybe sent" (the policy decides).
  t.like(await ledgerItem(aws, request.invitationId), { status: 'PROCESSING', inFlight: { attempt: 1 } });
});
