/**
 * Enqueue after write: the sms.requested message is written to an outbox item in the same transaction
 * as the invitation, so an SQS failure after the write neither loses the invitation nor burns its
 * quota. SQS faults are real HTTP 500s from a proxy in front of the emulator.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import test, { type ExecutionContext } from 'ava';
import { createAwsClients } from '@platform/aws-resources';
import { decodeMessage } from '@platform/contracts';
import { createLogger } from '@platform/telemetry';
import {
  queueCounts,
  sharedAws,
  startRequestCounter,
  useIsolatedAws,
  waitFor,
  waitForMessageCount,
  type ObservedRequest,
  type RequestCounter,
} from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { utcDayWindow } from '../../src/domain/windows.ts';
import { createOutboxPublisher } from '../../src/outbox/OutboxPublisher.ts';
import { createOutboxRelay } from '../../src/outbox/OutboxRelay.ts';
import { createOutboxStore } from '../../src/store/OutboxStore.ts';
import { keys } from '../../src/store/keys.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';
import { useHarness, type Harness, type HarnessOptions } from '../helpers/harness.ts';
import type { ApiBody } from '../helpers/openapi.ts';

/** The request path's send (after the response, batched across requests). */
const BATCH_SEND = { service: 'sqs', operation: 'SendMessageBatch' } as const;
/** Either send: the request path's batch or the relay's single SendMessage. */
const ANY_SEND = (r: ObservedRequest) =>
  r.service === 'sqs' && (r.operation === 'SendMessage' || r.operation === 'SendMessageBatch');

/** The service with its SQS client behind a fault-injecting proxy. */
async function withFaultySqs(
  t: ExecutionContext,
  options: HarnessOptions = {},
): Promise<{ h: Harness; proxy: RequestCounter }> {
  const proxy = await startRequestCounter({ target: (await sharedAws()).endpoints.sqs });
  t.teardown(() => proxy.close());
  const h = await useHarness(t, {
    ...options,
    sqs: (aws) => {
      const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_SQS: proxy.endpoint });
      t.teardown(() => clients.destroy());
      return clients.sqs;
    },
  });
  return { h, proxy };
}

async function invite(
  h: Harness,
  user: string,
  phoneNumber: string,
): Promise<{ status: number; body: ApiBody }> {
  const res = await h.request('/api/invitations', {
    method: 'POST',
    as: user,
    json: { phoneNumber },
    headers: { 'x-request-id': `req-${user}` },
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

async function outboxItem(h: Harness, invitationId: string) {
  const { Item } = await h.aws.clients.documentClient.send(
    new GetCommand({ TableName: h.config.table, Key: keys.outbox(invitationId), ConsistentRead: true }),
  );
  return Item;
}

async function receiveAll(h: Harness) {
  const { Messages = [] } = await h.aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: h.aws.urls.smsRequests,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

test('SQS down after the write: 201 anyway, the message waits in the outbox, the relay sends it exactly once', async (t) => {
  let now = Date.now();
  // The day the invitation was created in: the clock moves 10 minutes on, which may cross midnight.
  const createdAt = now;
  const { h, proxy } = await withFaultySqs(t, { clock: () => now });
  const fault = proxy.addFault({ match: ANY_SEND, status: 500 });

  const { status, body } = await invite(h, 'outbox-user', '+14155555001');
  t.is(status, 201, 'the invitation is recorded although SQS refused the message');
  await h.api.publisher.drain(); // the send after the 201 (and the SDK's retries) has given up
  t.true(proxy.count({ ...BATCH_SEND, injected: true }) >= 1, 'SendMessageBatch was attempted and failed');
  const invitationId = String(body.invitationId);
  t.truthy(await outboxItem(h, invitationId), 'the message waits in the outbox');
  t.is((await queueCounts(h.aws.clients.sqs, h.aws.urls.smsRequests)).visible, 0);

  // SQS still failing: the relay keeps the item and pushes its next attempt back.
  t.like(await h.api.relay.runOnce(), { due: 1, claimed: 1, sent: 0, failed: 1 });
  const afterFailure = await outboxItem(h, invitationId);
  t.is(afterFailure?.attempts, 1);
  t.true(Number(afterFailure?.next_attempt_at) > now, 'backed off');
  t.like(await h.api.relay.runOnce(), { due: 0 }, 'not retried before its backoff ends');

  fault.remove();
  now += 10 * 60_000;
  t.like(await h.api.relay.runOnce(), { due: 1, claimed: 1, sent: 1, failed: 0 });
  t.is(await outboxItem(h, invitationId), undefined, 'sent: the outbox item is gone');
  t.like(await h.api.relay.runOnce(), { due: 0 }, 'nothing left to send');

  const messages = await receiveAll(h);
  t.is(messages.length, 1, 'exactly one sms.requested');
  const decoded = decodeMessage(messages[0] ?? {});
  t.is(decoded.contract, 'sms.requested');
  t.like(decoded.payload, {
    invitationId,
    inviteCode: body.inviteCode,
    phoneNumber: '+14155555001',
    correlationId: 'req-outbox-user',
  });

  // Charged exactly once: not lost with the failed send, not charged again by the relay.
  const { Item: quota } = await h.aws.clients.documentClient.send(
    new GetCommand({
      TableName: h.config.table,
      Key: keys.userQuota('outbox-user', utcDayWindow(createdAt).key),
      ConsistentRead: true,
    }),
  );
  t.is(quota?.invitation_count, 1);
  const status2 = await h.request(`/api/invitations/${invitationId}`, { as: 'outbox-user' });
  t.like(((await status2.json()) as ApiBody).invitation, { status: 'queued' });
});

test('two relays racing for the same outbox item send it once', async (t) => {
  const { h, proxy } = await withFaultySqs(t);
  const fault = proxy.addFault({ match: BATCH_SEND, status: 500 });
  t.is((await invite(h, 'race-user', '+14155555002')).status, 201);
  await h.api.publisher.drain();
  fault.remove();

  const logger = createLogger({ service: 'invite-api-test', level: 'silent' });
  const publisher = createOutboxPublisher(
    {
      sqs: h.aws.clients.sqs,
      outbox: h.api.outbox,
      logger,
      metrics: { count: () => undefined },
      clock: Date.now,
    },
    { queueUrl: h.aws.urls.smsRequests, sendTimeoutMs: 3000, lingerMs: 0 },
  );
  const second = createOutboxRelay(
    { outbox: h.api.outbox, publisher, logger, clock: Date.now },
    { intervalMs: 1000, batchSize: 10, backoff: { baseMs: 60_000, maxMs: 60_000 } },
  );
  const passes = await Promise.all([h.api.relay.runOnce(), second.runOnce()]);
  t.is(
    passes.reduce((sum, pass) => sum + pass.sent, 0),
    1,
    JSON.stringify(passes),
  );
  t.is((await receiveAll(h)).length, 1);
});

test('the relay loop delivers pending messages on its own once SQS is back', async (t) => {
  const { h, proxy } = await withFaultySqs(t, { env: { OUTBOX_RELAY_INTERVAL_MS: '100' }, startRelay: true });
  const fault = proxy.addFault({ match: ANY_SEND, status: 500, times: 1000 });
  t.is((await invite(h, 'loop-user-1', '+14155555003')).status, 201);
  t.is((await invite(h, 'loop-user-2', '+14155555004')).status, 201);
  await h.api.publisher.drain(); // both post-response sends failed: the relay is left to send them
  fault.remove();
  t.is(await waitForMessageCount(h.aws.clients.sqs, h.aws.urls.smsRequests, 2, { timeoutMs: 20_000 }), 2);
  t.true(h.logs.some((l) => l.msg === 'outbox relay pass'));
});

/** An invitation whose outbox item is still pending (SQS failed once), its id. */
async function pendingInvitation(h: Harness, proxy: RequestCounter, user: string, phoneNumber: string) {
  const fault = proxy.addFault({ match: BATCH_SEND, status: 500 });
  const { status, body } = await invite(h, user, phoneNumber);
  await h.api.publisher.drain();
  fault.remove();
  if (status !== 201) throw new Error(`invite answered ${status}`);
  return String(body.invitationId);
}

test('SQS refuses the message for good (InvalidMessageContents): invitation failed with the reason, item never retried', async (t) => {
  let now = Date.now();
  const { h, proxy } = await withFaultySqs(t, { clock: () => now });
  const invitationId = await pendingInvitation(h, proxy, 'refused-user', '+14155555011');
  // An item written before names were made safe: U+FFFE in the body, which SQS (and the emulator,
  // with the real InvalidMessageContents error) refuses on every attempt.
  const item = await outboxItem(h, invitationId);
  const body = String(item?.message_body).replace('"inviterName":"', '"inviterName":"\uFFFE');
  await h.aws.clients.documentClient.send(
    new UpdateCommand({
      TableName: h.config.table,
      Key: keys.outbox(invitationId),
      UpdateExpression: 'SET message_body = :body',
      ExpressionAttributeValues: { ':body': body },
    }),
  );

  now += 10 * 60_000;
  t.like(await h.api.relay.runOnce(), { due: 1, claimed: 1, sent: 0, failed: 0, refused: 1 });
  t.is(
    proxy.count({ service: 'sqs', operation: 'SendMessage', injected: false }),
    1,
    'sent once, to the real emulator',
  );
  t.true(
    proxy
      .requests({ service: 'sqs', operation: 'SendMessage', injected: false })
      .every((r) => r.status === 400),
    'the emulator answered 400 InvalidMessageContents',
  );

  // Visible in the API: failed, with a reason a client can act on.
  const res = await h.request(`/api/invitations/${invitationId}`, { as: 'refused-user' });
  const { invitation } = (await res.json()) as ApiBody & {
    invitation: { status: string; failedAt?: string; failure?: { code: string; message: string } };
  };
  t.is(invitation.status, 'failed');
  t.truthy(invitation.failedAt);
  t.is(invitation.failure?.code, 'QUEUE_REFUSED');
  t.true(invitation.failure?.message.includes('InvalidMessageContents'), invitation.failure?.message);

  // The item is kept with its reason for inspection, out of the relay's way: never retried.
  t.like(await outboxItem(h, invitationId), {
    gsi1pk: 'OUTBOX#FAILED',
    failure_code: 'QUEUE_REFUSED',
    message_body: body,
  });
  now += 60 * 60_000;
  t.like(await h.api.relay.runOnce(), { due: 0 });
  t.is(proxy.count({ service: 'sqs', operation: 'SendMessage', injected: false }), 1, 'not sent again');

  // Counted once, by reason; an error log names the invitation, not the content.
  t.like(await h.metricTotals(), { 'InvitationsUndeliverable:InvalidMessageContents': 1 });
  const logged = h.logs.find((l) => String(l.msg).startsWith('sms.requested refused by SQS for good'));
  t.like(logged, { invitationId, code: 'InvalidMessageContents', outcome: 'failed' });
  t.is((await queueCounts(h.aws.clients.sqs, h.aws.urls.smsRequests)).visible, 0);
});

test('a refusal of the request, not the content (403), keeps the item pending for an operator to fix', async (t) => {
  let now = Date.now();
  const { h, proxy } = await withFaultySqs(t, { clock: () => now });
  const invitationId = await pendingInvitation(h, proxy, 'denied-user', '+14155555012');
  const denied = proxy.addFault({ match: { service: 'sqs', operation: 'SendMessage' }, status: 403 });
  now += 10 * 60_000;
  t.like(await h.api.relay.runOnce(), { claimed: 1, sent: 0, failed: 1, refused: 0 });
  t.like(await outboxItem(h, invitationId), { gsi1pk: 'OUTBOX#PENDING', attempts: 1 });
  t.true(
    h.logs.some((l) => l.level === 'error' && l.invitationId === invitationId),
    'logged at error',
  );

  denied.remove();
  now += 10 * 60_000;
  t.like(await h.api.relay.runOnce(), { sent: 1 });
  const res = await h.request(`/api/invitations/${invitationId}`, { as: 'denied-user' });
  t.like(((await res.json()) as ApiBody).invitation, { status: 'queued' });
});

test('marking failed is idempotent and never moves an invitation that moved on', async (t) => {
  const { h, proxy } = await withFaultySqs(t);
  const invitationId = await pendingInvitation(h, proxy, 'mark-user', '+14155555013');
  const failure = { code: 'QUEUE_REFUSED', message: 'test' };
  t.is(await h.api.outbox.markFailed(invitationId, failure, Date.now()), 'failed');
  t.is(await h.api.outbox.markFailed(invitationId, failure, Date.now()), 'not-pending');

  const second = await pendingInvitation(h, proxy, 'mark-user-2', '+14155555014');
  const applied = await h.api.store.applyStatus({
    invitationId: second,
    status: 'delivered',
    occurredAt: new Date().toISOString(),
    provider: 'local',
    providerMessageId: 'm-1',
    now: new Date().toISOString(),
  });
  t.is(applied.kind, 'applied');
  t.is(await h.api.outbox.markFailed(second, failure, Date.now()), 'invitation-unchanged');
  t.is((await h.api.store.get(second))?.status, 'delivered');
  t.like(await outboxItem(h, second), { gsi1pk: 'OUTBOX#FAILED' });
});

test('the 201 does not wait for the SQS send: it goes out after the response, then the outbox item goes', async (t) => {
  const { h, proxy } = await withFaultySqs(t);
  // Held for 2 s at the proxy: a 201 that waited for the send could only arrive after its answer.
  proxy.addFault({ match: BATCH_SEND, delayMs: 2000 });

  const { status, body } = await invite(h, 'after-user', '+14155555021');
  t.is(status, 201);
  const sends = () => proxy.requests(BATCH_SEND);
  t.true(
    sends().every((r) => r.status === undefined),
    'no SendMessageBatch was answered before the 201',
  );
  const invitationId = String(body.invitationId);
  t.truthy(await outboxItem(h, invitationId), 'the outbox item is still there when the client has its 201');

  await h.api.publisher.drain();
  t.is(sends().length, 1, 'one send, by the request path');
  t.is(proxy.count({ service: 'sqs', operation: 'SendMessage' }), 0, 'none by the relay');
  t.is(sends()[0]?.status, 200);
  t.is(await outboxItem(h, invitationId), undefined, 'removed after the send');
  const messages = await receiveAll(h);
  t.is(messages.length, 1);
  t.like(decodeMessage(messages[0] ?? {}).payload, { invitationId });
  t.like(await h.api.relay.runOnce(), { due: 0 }, 'nothing left for the relay');
});

test('a crash after the 201, before the post-response send reached SQS: the relay delivers the SMS request', async (t) => {
  const aws = await useIsolatedAws(t);
  const proxy = await startRequestCounter({ target: aws.endpoints.sqs });
  t.teardown(() => proxy.close());
  // The process's send is held at the proxy and never forwarded: it dies with the send in flight.
  proxy.addFault({ match: BATCH_SEND, delayMs: 30_000, drop: 'before-forward' });
  const { service, baseUrl } = await startInviteApiProcess(t, aws, {
    AWS_ENDPOINT_URL_SQS: proxy.endpoint,
    // The dying process's own relay must not be the one that delivers; its send may not time out first.
    OUTBOX_RELAY_INTERVAL_MS: '600000',
    SQS_SEND_TIMEOUT_MS: '60000',
    // Share cards off: the only send is the SMS request's.
    IMAGE_JOBS_QUEUE_URL: '',
    IMAGE_JOBS_TABLE: '',
    ASSETS_BUCKET: '',
  });
  const token = await mintToken({
    sub: 'crash-user',
    name: 'Crash User',
    secret: LOCAL_DEV_JWT.secret,
    issuer: LOCAL_DEV_JWT.issuer,
    audience: LOCAL_DEV_JWT.audience,
    ttlSeconds: 600,
  });
  const res = await fetch(`${baseUrl}/api/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumber: '+14155555022' }),
  });
  t.is(res.status, 201);
  const invitationId = String(((await res.json()) as ApiBody).invitationId);
  const sends = () => proxy.requests(BATCH_SEND);
  await waitFor(() => sends().length >= 1, { description: 'the post-response send reached the proxy' });
  await service.kill('SIGKILL');
  t.is(sends().length, 1, 'one attempt, made after the 201');
  t.like(sends()[0], { status: undefined, dropped: undefined }, 'still held when the process died');
  t.is(
    proxy.count((r) => ANY_SEND(r) && r.answeredAt !== undefined),
    0,
    'never reached SQS',
  );
  t.is((await queueCounts(aws.clients.sqs, aws.urls.smsRequests)).visible, 0);

  // Another replica's relay (here: one built on the same table and queue) finds the item and sends it.
  const logger = createLogger({ service: 'invite-api-test', level: 'silent' });
  const outbox = createOutboxStore({ client: aws.clients.documentClient }, { table: aws.tables.invitations });
  const publisher = createOutboxPublisher(
    { sqs: aws.clients.sqs, outbox, logger, metrics: { count: () => undefined }, clock: Date.now },
    { queueUrl: aws.urls.smsRequests, sendTimeoutMs: 3000, lingerMs: 0 },
  );
  const relay = createOutboxRelay(
    { outbox, publisher, logger, clock: Date.now },
    { intervalMs: 1000, batchSize: 10, backoff: { baseMs: 60_000, maxMs: 60_000 } },
  );
  t.like(await relay.runOnce(), { due: 1, claimed: 1, sent: 1 });
  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.urls.smsRequests,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  t.is(Messages.length, 1, 'exactly one sms.requested');
  t.like(decodeMessage(Messages[0] ?? {}).payload, { invitationId, phoneNumber: '+14155555022' });
});

/** withFaultySqs, with the DynamoDB document client behind a request counter too. */
async function withCountedAws(t: ExecutionContext, options: HarnessOptions = {}) {
  const dynamodb = await startRequestCounter({ target: (await sharedAws()).endpoints.dynamodb });
  t.teardown(() => dynamodb.close());
  const { h, proxy } = await withFaultySqs(t, {
    ...options,
    documentClient: (aws) => {
      const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint });
      t.teardown(() => clients.destroy());
      return clients.documentClient;
    },
  });
  return { h, proxy, dynamodb };
}

// Long enough that only drain() sends the batch: every request of the test is in it, whatever the
// machine's pace. (The default linger is 25 ms.)
const HOLD_THE_BATCH = { OUTBOX_SEND_LINGER_MS: '10000' };

test('invitations close together share one SendMessageBatch and one BatchWriteItem of outbox deletes', async (t) => {
  const { h, proxy, dynamodb } = await withCountedAws(t, { env: HOLD_THE_BATCH });
  const ids: string[] = [];
  for (const [i, phoneNumber] of ['+14155555031', '+14155555032', '+14155555033'].entries()) {
    const { status, body } = await invite(h, `batch-user-${i}`, phoneNumber);
    t.is(status, 201);
    ids.push(String(body.invitationId));
  }
  await h.api.publisher.drain(); // sends the pending batch at once, without waiting for the linger

  t.is(proxy.count(BATCH_SEND), 1, 'one SendMessageBatch for the three');
  t.is(proxy.count({ service: 'sqs', operation: 'SendMessage' }), 0);
  t.is(dynamodb.count({ operation: 'BatchWriteItem' }), 1, 'one BatchWriteItem of deletes');
  t.is(dynamodb.count({ operation: 'DeleteItem' }), 0);
  for (const id of ids) t.is(await outboxItem(h, id), undefined, 'outbox item removed');
  t.is(await waitForMessageCount(h.aws.clients.sqs, h.aws.urls.smsRequests, 3, { timeoutMs: 10_000 }), 3);
  const sent = (await receiveAll(h)).map(
    (m) => (decodeMessage(m).payload as { invitationId: string }).invitationId,
  );
  t.deepEqual(sent.sort(), [...ids].sort());
  t.like(await h.api.relay.runOnce(), { due: 0 }, 'nothing left for the relay');
});

test('per-entry results: the entry SQS refuses for its content is marked failed, the one beside it is sent and removed', async (t) => {
  const { h, proxy } = await withFaultySqs(t, { env: HOLD_THE_BATCH });
  const refusedId = await pendingInvitation(h, proxy, 'entry-user-1', '+14155555041');
  const sentId = await pendingInvitation(h, proxy, 'entry-user-2', '+14155555042');
  const due = await waitFor(
    async () => {
      const items = await h.api.outbox.listDue(Date.now() + 60_000, 10);
      return items.length === 2 ? items : undefined;
    },
    { description: 'both outbox items pending' },
  );
  // As in the relay's test above: U+FFFE in one body, which SQS refuses in its entry of the batch.
  for (const item of due) {
    const body =
      item.invitationId === refusedId
        ? item.body.replace('"inviterName":"', '"inviterName":"\uFFFE')
        : item.body;
    h.api.publisher.publishAfterResponse({ ...item, body });
  }
  await h.api.publisher.drain();

  t.is(proxy.count({ ...BATCH_SEND, injected: false }), 1, 'one batch, answered by the emulator');
  t.like(await outboxItem(h, refusedId), { gsi1pk: 'OUTBOX#FAILED', failure_code: 'QUEUE_REFUSED' });
  t.is((await h.api.store.get(refusedId))?.status, 'failed');
  t.is(await outboxItem(h, sentId), undefined, "the sent entry's item is removed");
  const messages = await receiveAll(h);
  t.is(messages.length, 1);
  t.like(decodeMessage(messages[0] ?? {}).payload, { invitationId: sentId });
  t.like(await h.metricTotals(), { 'InvitationsUndeliverable:InvalidMessageContents': 1 });
  t.like(await h.api.relay.runOnce(), { due: 0 }, 'nothing left for the relay');
});

test('the outbox deletes fail: the messages are on the queue, their items are left to the relay (a harmless duplicate)', async (t) => {
  const { h, dynamodb } = await withCountedAws(t);
  dynamodb.addFault({ match: { service: 'dynamodb', operation: 'BatchWriteItem' }, status: 500 });
  const { status, body } = await invite(h, 'delete-user', '+14155555051');
  t.is(status, 201);
  await h.api.publisher.drain();
  const invitationId = String(body.invitationId);
  t.true(dynamodb.count({ operation: 'BatchWriteItem' }) >= 1, 'the delete was attempted');
  t.truthy(await outboxItem(h, invitationId), 'the item stays');
  t.true(
    h.logs.some(
      (l) =>
        l.invitationId === invitationId &&
        String(l.msg).startsWith('sms.requested sent but its outbox item was not removed'),
    ),
  );
  t.like(await h.api.relay.runOnce(), { due: 1, sent: 1 }, 'the relay sends it again');
  t.is(await outboxItem(h, invitationId), undefined);
  t.is(await waitForMessageCount(h.aws.clients.sqs, h.aws.urls.smsRequests, 2, { timeoutMs: 10_000 }), 2);
});
