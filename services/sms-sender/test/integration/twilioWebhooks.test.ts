// The Twilio webhooks on the real server object against the embedded AWS: signatures checked with
// the official package, receipts and STOP/START turned into events on invite-events, and a refused
// request changes nothing anywhere.
import { connect } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { useIsolatedAws, waitFor, type IsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createReceiptHandling } from '../../src/receipts/receiptHandling.ts';
import { readSmsSenderConfig } from '../../src/config.ts';
import { TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH } from '../../src/webhooks/twilioWebhooks.ts';
import {
  TEST_ACCOUNT_SID,
  TEST_AUTH_TOKEN,
  inviteEventsCollector,
  postSignedToTwilioWebhook,
  silentLogger as silent,
} from '../helpers/receipts.ts';

const PUBLIC = 'https://sms.example.test';

async function setup(t: ExecutionContext) {
  const aws = await useIsolatedAws(t);
  const config = readSmsSenderConfig({
    ...aws.env,
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
    TWILIO_FROM_NUMBER: '+14155550100',
    TWILIO_WEBHOOK_BASE_URL: PUBLIC,
    WEBHOOK_PORT: '0',
    WEBHOOK_HOST: '127.0.0.1',
    SMS_EVENTS_QUEUE_URL: '',
    SMS_EVENTS_DLQ_URL: '',
  });
  const handling = createReceiptHandling(
    { sqs: aws.clients.sqs, ddb: aws.clients.documentClient, logger: silent },
    config,
  );
  const { webhookUrl } = await handling.start();
  t.teardown(() => handling.close());
  if (webhookUrl === undefined) throw new Error('webhook server did not start');
  const post = (
    path: string,
    params: Record<string, string>,
    options?: Parameters<typeof postSignedToTwilioWebhook>[3],
  ) =>
    postSignedToTwilioWebhook(
      `${PUBLIC}${path}`,
      `${webhookUrl}${path}`,
      { AccountSid: TEST_ACCOUNT_SID, ...params },
      options,
    );
  return { aws, handling, webhookUrl, post, events: inviteEventsCollector(aws) };
}

async function directoryItems(aws: IsolatedAws): Promise<unknown[]> {
  const table = aws.provisioned.tables.smsDirectory.name;
  return (
    (await aws.clients.documentClient.send(new ScanCommand({ TableName: table, ConsistentRead: true })))
      .Items ?? []
  );
}

test('a signed status callback for a sent message becomes sms.status delivered', async (t) => {
  const { handling, post, events } = await setup(t);
  await handling.directory.recordMessage({
    provider: 'twilio',
    providerMessageId: 'SMaaaa',
    invitationId: 'inv-twilio-1',
    acceptedAt: new Date().toISOString(),
  });
  const response = await post(TWILIO_STATUS_PATH, {
    MessageSid: 'SMaaaa',
    MessageStatus: 'delivered',
    To: '+14155552671',
  });
  t.is(response.status, 204);
  const [status] = await waitFor(
    async () => {
      await events.drain();
      return events.statuses.length > 0 ? events.statuses : undefined;
    },
    { description: 'sms.status on invite-events', timeoutMs: 10_000, intervalMs: 100 },
  );
  t.like(status, {
    invitationId: 'inv-twilio-1',
    status: 'delivered',
    provider: 'twilio',
    providerMessageId: 'SMaaaa',
  });
});

test('a wrong, missing or foreign-account signature is 403 and changes nothing', async (t) => {
  const { aws, handling, post, events } = await setup(t);
  await handling.directory.recordMessage({
    provider: 'twilio',
    providerMessageId: 'SMbbbb',
    invitationId: 'inv-twilio-2',
    acceptedAt: new Date().toISOString(),
  });
  const before = await directoryItems(aws);
  const stop = { From: '+14155552671', Body: 'STOP', MessageSid: 'SMin1' };
  const refused = [
    await post(
      TWILIO_STATUS_PATH,
      { MessageSid: 'SMbbbb', MessageStatus: 'delivered' },
      { authToken: 'wrong-token' },
    ),
    await post(TWILIO_STATUS_PATH, { MessageSid: 'SMbbbb', MessageStatus: 'delivered' }, { signature: null }),
    await post(
      TWILIO_STATUS_PATH,
      { MessageSid: 'SMbbbb', MessageStatus: 'delivered' },
      { signature: 'bm90IGl0' },
    ),
    await post(TWILIO_INBOUND_PATH, stop, { authToken: 'wrong-token' }),
    await post(TWILIO_INBOUND_PATH, { ...stop, AccountSid: `AC${'f'.repeat(32)}` }),
  ];
  for (const response of refused) {
    t.is(response.status, 403);
    t.like(await response.json(), { error: { code: 'INVALID_SIGNATURE' } });
  }
  // A signature over other parameters (a replayed signature on a changed body) fails too.
  const genuine = await post(TWILIO_STATUS_PATH, { MessageSid: 'SMbbbb', MessageStatus: 'sent' });
  t.is(genuine.status, 204);
  t.deepEqual(await directoryItems(aws), before);
  await events.drain();
  t.deepEqual(events.statuses, []);
  t.deepEqual(events.optOuts, []);
  t.is(await handling.directory.consentOf('+14155552671'), undefined);
});

test('a receipt for an unknown message is dropped with 204, never a 5xx', async (t) => {
  const { post, events } = await setup(t);
  const response = await post(TWILIO_STATUS_PATH, { MessageSid: 'SMunknown', MessageStatus: 'delivered' });
  t.is(response.status, 204);
  await events.drain();
  t.deepEqual(events.statuses, []);
});

test('inbound STOP then START: the directory and sms.optout follow, in order of receipt', async (t) => {
  const { handling, post, events } = await setup(t);
  const stop = await post(TWILIO_INBOUND_PATH, { From: '+14155552671', Body: 'Stop', MessageSid: 'SMin2' });
  t.is(stop.status, 200);
  t.is(stop.headers.get('content-type'), 'text/xml; charset=utf-8');
  t.is(await handling.directory.consentOf('+14155552671'), 'opted-out');
  const start = await post(TWILIO_INBOUND_PATH, { From: '+14155552671', Body: 'START', MessageSid: 'SMin3' });
  t.is(start.status, 200);
  t.is(await handling.directory.consentOf('+14155552671'), 'opted-in');
  // Conversation is not a keyword; Twilio's own OptOutType wins over the text.
  await post(TWILIO_INBOUND_PATH, { From: '+14155552671', Body: 'who is this?', MessageSid: 'SMin4' });
  t.is(await handling.directory.consentOf('+14155552671'), 'opted-in');
  await post(TWILIO_INBOUND_PATH, {
    From: '+14155552672',
    Body: 'arrêt',
    OptOutType: 'STOP',
    MessageSid: 'SMin5',
  });
  t.is(await handling.directory.consentOf('+14155552672'), 'opted-out');
  const optOuts = await waitFor(
    async () => {
      await events.drain();
      return events.optOuts.length >= 3 ? events.optOuts : undefined;
    },
    { description: 'three sms.optout events', timeoutMs: 10_000, intervalMs: 100 },
  );
  t.deepEqual(optOuts.map((o) => [o.phoneNumber, o.action, o.source, o.keyword]).sort(), [
    ['+14155552671', 'opt-in', 'twilio', 'START'],
    ['+14155552671', 'opt-out', 'twilio', 'STOP'],
    ['+14155552672', 'opt-out', 'twilio', 'STOP'],
  ]);
});

test('hostile requests: wrong method, media type, size, framing each get a clear 4xx', async (t) => {
  const { webhookUrl } = await setup(t);
  t.is((await fetch(`${webhookUrl}${TWILIO_STATUS_PATH}`)).status, 405);
  t.is((await fetch(`${webhookUrl}/elsewhere`, { method: 'POST' })).status, 404);
  const json = await fetch(`${webhookUrl}${TWILIO_STATUS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.is(json.status, 415);
  const huge = await fetch(`${webhookUrl}${TWILIO_STATUS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
    body: `Body=${'a'.repeat(100_000)}`,
  });
  t.is(huge.status, 413);
  // Broken HTTP framing: a 400 on the socket, and the server still answers afterwards.
  const { port } = new URL(webhookUrl);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write('POST /webhooks HTTP/1.1\r\nContent-Length: nope\r\n\r\n'),
    );
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.regex(raw, /^HTTP\/1\.1 400/);
  t.is((await fetch(`${webhookUrl}${TWILIO_STATUS_PATH}`)).status, 405);
});
