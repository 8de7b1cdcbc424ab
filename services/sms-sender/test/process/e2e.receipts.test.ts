// Delivery receipts and STOP/START end to end, with both real services as processes on the embedded
// AWS: invite-api's invitation status follows the receipts, and an opted-out number is refused.
import { freePort, useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import { startFakeTwilio } from '../helpers/fakeTwilio.ts';
import {
  TEST_ACCOUNT_SID,
  TEST_AUTH_TOKEN,
  invitationStatus,
  invite,
  postSignedToTwilioWebhook,
  startInviteApi,
  tokenFor,
} from '../helpers/receipts.ts';
import { TEST_QUEUES, startSender } from '../helpers/smsSender.ts';

const until = (api: Parameters<typeof invitationStatus>[0], token: string, id: string, wanted: string) =>
  waitFor(async () => ((await invitationStatus(api, token, id)) === wanted ? wanted : undefined), {
    description: `invitation ${id} to become ${wanted}`,
    timeoutMs: 60_000,
    intervalMs: 250,
  });

test('local provider: receipts take invitations to delivered (…9995 failed); a STOP reply on the outbox page refuses, START re-allows', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const [sender, api] = await Promise.all([
    startSender(t, aws, { env: { SMS_LOCAL_RECEIPT_DELAY_MS: '300' } }),
    startInviteApi(t, aws),
  ]);
  const token = await tokenFor('user-receipts-local');
  const ok = await invite(api, token, '+14155552671');
  const unreachable = await invite(api, token, '+14155559995');
  t.is(ok.status, 201);
  t.is(unreachable.status, 201);
  await until(api, token, ok.body.invitationId!, 'delivered');
  await until(api, token, unreachable.body.invitationId!, 'failed');

  // The outbox page's reply form plays the handset: STOP, then START.
  const reply = async (body: string) => {
    const response = await fetch(`${sender.outboxUrl}reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14155552673', body }),
    });
    return { status: response.status, body: (await response.json()) as { result?: string } };
  };
  t.deepEqual(await reply('STOP'), { status: 200, body: { result: 'opted-out' } });
  const refused = await waitFor(
    async () => {
      const attempt = await invite(api, token, '+14155552673');
      return attempt.status === 422 ? attempt : undefined;
    },
    { description: 'the opted-out number to be refused', timeoutMs: 30_000, intervalMs: 250 },
  );
  t.is(refused.body.error?.code, 'PHONE_OPTED_OUT');
  t.deepEqual(await reply('hello?'), { status: 200, body: { result: 'not-a-keyword' } });
  t.deepEqual(await reply('START'), { status: 200, body: { result: 'opted-in' } });
  const allowed = await waitFor(
    async () => {
      const attempt = await invite(api, token, '+14155552673');
      return attempt.status === 201 ? attempt : undefined;
    },
    { description: 'the number to be allowed again', timeoutMs: 30_000, intervalMs: 250 },
  );
  await until(api, token, allowed.body.invitationId!, 'delivered');
  // Hostile replies get a clear 4xx and change nothing.
  const bad = await fetch(`${sender.outboxUrl}reply`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'from=%2B14155552673&body=STOP',
  });
  t.is(bad.status, 415);
  const notJson = await fetch(`${sender.outboxUrl}reply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"from": 1',
  });
  t.is(notJson.status, 400);
});

test('Twilio: StatusCallback is set, a signed callback makes it delivered, a late undelivered changes nothing', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const fake = await startFakeTwilio(t);
  const webhookPort = await freePort();
  const publicBase = 'https://sms.example.test';
  const [sender, api] = await Promise.all([
    startSender(t, aws, {
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_FROM_NUMBER: '+14155550100',
        TWILIO_API_BASE_URL: fake.baseUrl,
        TWILIO_WEBHOOK_BASE_URL: publicBase,
        WEBHOOK_PORT: String(webhookPort),
        WEBHOOK_HOST: '127.0.0.1',
      },
    }),
    startInviteApi(t, aws),
  ]);
  const token = await tokenFor('user-receipts-twilio');
  const created = await invite(api, token, '+14155552671');
  t.is(created.status, 201);
  const id = created.body.invitationId!;
  await until(api, token, id, 'sent');
  const [message] = fake.messages;
  t.is(fake.messages.length, 1);
  t.is(message!.form.StatusCallback, `${publicBase}/webhooks/twilio/status`);

  const callback = (params: Record<string, string>, options?: { authToken?: string }) =>
    postSignedToTwilioWebhook(
      message!.form.StatusCallback!,
      `http://127.0.0.1:${webhookPort}/webhooks/twilio/status`,
      { AccountSid: TEST_ACCOUNT_SID, MessageSid: message!.sid, To: '+14155552671', ...params },
      options,
    );
  // Forged first: refused, and the invitation stays sent.
  t.is((await callback({ MessageStatus: 'delivered' }, { authToken: 'forged' })).status, 403);
  t.is((await callback({ MessageStatus: 'sent' })).status, 204);
  t.is((await callback({ MessageStatus: 'delivered' })).status, 204);
  await until(api, token, id, 'delivered');
  // Out of order: an undelivered arriving after delivered (and a repeat) never moves it back.
  t.is((await callback({ MessageStatus: 'undelivered', ErrorCode: '30003' })).status, 204);
  t.is((await callback({ MessageStatus: 'delivered' })).status, 204);
  // Give invite-api the chance to apply them; the status must still be delivered afterwards.
  await waitFor(
    async () =>
      api.service.logs().filter((line) => line.json?.msg === 'stale sms.status ignored').length >= 2
        ? true
        : undefined,
    { description: 'both late receipts seen as stale', timeoutMs: 30_000, intervalMs: 250 },
  );
  t.is(await invitationStatus(api, token, id), 'delivered');

  // The receipt continues the invitation's trace: the send and `delivered` share one trace id.
  const attempt = sender.service.logs().find((line) => line.json?.msg === 'sms attempt');
  const applied = api.service
    .logs()
    .find((line) => line.json?.msg === 'invitation status updated' && line.json.status === 'delivered');
  t.truthy(attempt?.json?.trace_id);
  t.is(applied?.json?.trace_id, attempt?.json?.trace_id);
});

test('STOP then invite -> PHONE_OPTED_OUT; START re-allows; sms-sender never sent to the number', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const fake = await startFakeTwilio(t);
  const webhookPort = await freePort();
  const publicBase = 'https://sms.example.test';
  const [sender, api] = await Promise.all([
    startSender(t, aws, {
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_FROM_NUMBER: '+14155550100',
        TWILIO_API_BASE_URL: fake.baseUrl,
        TWILIO_WEBHOOK_BASE_URL: publicBase,
        WEBHOOK_PORT: String(webhookPort),
        WEBHOOK_HOST: '127.0.0.1',
      },
    }),
    startInviteApi(t, aws),
  ]);
  const inbound = (body: string, sid: string) =>
    postSignedToTwilioWebhook(
      `${publicBase}/webhooks/twilio/inbound`,
      `http://127.0.0.1:${webhookPort}/webhooks/twilio/inbound`,
      { AccountSid: TEST_ACCOUNT_SID, MessageSid: sid, From: '+14155552672', To: '+14155550100', Body: body },
    );
  const token = await tokenFor('user-optout');

  t.is((await inbound('STOP', 'SMin-stop')).status, 200);
  const refused = await waitFor(
    async () => {
      const attempt = await invite(api, token, '+14155552672');
      return attempt.status === 422 ? attempt : undefined;
    },
    { description: 'invite-api to refuse the opted-out number', timeoutMs: 30_000, intervalMs: 250 },
  );
  t.is(refused.body.error?.code, 'PHONE_OPTED_OUT');

  t.is((await inbound('START', 'SMin-start')).status, 200);
  const allowed = await waitFor(
    async () => {
      const attempt = await invite(api, token, '+14155552672');
      return attempt.status === 201 ? attempt : undefined;
    },
    { description: 'invite-api to allow the number again', timeoutMs: 30_000, intervalMs: 250 },
  );
  await until(api, token, allowed.body.invitationId!, 'sent');
  t.is(fake.messages.length, 1, 'exactly one SMS: the one after START');
  // Phone numbers never appear unmasked in either service's logs.
  for (const service of [sender.service, api.service]) {
    t.false(
      service.logs().some((line) => line.text.includes('+14155552672')),
      'the number is masked in every log line',
    );
  }
});
