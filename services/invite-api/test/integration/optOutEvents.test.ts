/**
 * sms.optout events (STOP/START, published by sms-sender, which owns the suppression list) through
 * invite-api's real invite-events consumer: opted out -> PHONE_OPTED_OUT, opted back in -> allowed,
 * out-of-order and repeated changes settle on the latest; undelivered receipts turn an invitation failed.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import anyTest, { type TestFn } from 'ava';
import { encodeMessage, type SmsOptOut, type SmsStatus } from '@platform/contracts';
import { waitForQueueEmpty } from '@platform/testkit';
import { startHarness, type Harness } from '../helpers/harness.ts';
import type { ApiBody } from '../helpers/openapi.ts';

const test = anyTest as TestFn<{ h: Harness }>;

test.before(async (t) => {
  t.context.h = await startHarness({ startConsumer: true });
});
test.after.always(async (t) => t.context.h.stop());

async function deliver(
  h: Harness,
  ...events: ({ optOut: SmsOptOut } | { status: SmsStatus })[]
): Promise<void> {
  for (const event of events) {
    const encoded =
      'optOut' in event
        ? encodeMessage('sms.optout', event.optOut)
        : encodeMessage('sms.status', event.status);
    await h.aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.aws.urls.inviteEvents, ...encoded }));
  }
  await waitForQueueEmpty(h.aws.clients.sqs, h.aws.urls.inviteEvents, { timeoutMs: 20_000 });
}

const change = (phoneNumber: string, action: SmsOptOut['action'], second: number): { optOut: SmsOptOut } => ({
  optOut: {
    phoneNumber,
    action,
    source: 'twilio',
    keyword: action === 'opt-out' ? 'STOP' : 'START',
    changedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, second)).toISOString(),
  },
});

const inviteStatus = async (h: Harness, as: string, phoneNumber: string) => {
  const res = await h.request('/api/invitations', { method: 'POST', as, json: { phoneNumber } });
  return { status: res.status, body: (await res.json()) as ApiBody };
};

test('STOP refuses the number with PHONE_OPTED_OUT for every inviter; START allows it again', async (t) => {
  const { h } = t.context;
  await deliver(h, change('+14155557001', 'opt-out', 1));
  const refused = await inviteStatus(h, 'optout-a', '+14155557001');
  t.is(refused.status, 422);
  t.is(refused.body.error?.code, 'PHONE_OPTED_OUT');
  t.is((await inviteStatus(h, 'optout-b', '+14155557001')).status, 422);
  await deliver(h, change('+14155557001', 'opt-in', 2));
  t.is((await inviteStatus(h, 'optout-a', '+14155557001')).status, 201);
});

test('out of order: an older START after a newer STOP changes nothing; repeats are harmless', async (t) => {
  const { h } = t.context;
  await deliver(h, change('+14155557002', 'opt-out', 5), change('+14155557002', 'opt-in', 4));
  t.is((await inviteStatus(h, 'optout-c', '+14155557002')).status, 422);
  await deliver(h, change('+14155557002', 'opt-out', 5));
  t.is((await inviteStatus(h, 'optout-c', '+14155557002')).status, 422);
  // And the other way round: START (newer) delivered first, the older STOP afterwards.
  await deliver(h, change('+14155557003', 'opt-in', 9), change('+14155557003', 'opt-out', 8));
  t.is((await inviteStatus(h, 'optout-d', '+14155557003')).status, 201);
});

test('an undelivered receipt turns the invitation failed with the carrier code; a late delivered cannot revive it', async (t) => {
  const { h } = t.context;
  const created = await inviteStatus(h, 'receipt-user', '+14155557004');
  t.is(created.status, 201);
  const invitationId = String(created.body.invitationId);
  const base = { invitationId, provider: 'sns' as const, providerMessageId: 'msg-7004' };
  await deliver(
    h,
    { status: { ...base, status: 'sent', occurredAt: '2030-01-01T00:00:01.000Z' } },
    {
      status: {
        ...base,
        status: 'undelivered',
        occurredAt: '2030-01-01T00:00:05.000Z',
        error: { code: 'CARRIER_UNREACHABLE', message: 'TEXT_CARRIER_UNREACHABLE' },
      },
    },
  );
  // Only once the undelivered receipt is applied: the consumer runs messages concurrently, so events
  // sent together may be applied in any order (and delivered/failed share a rank: first one stands).
  await deliver(h, { status: { ...base, status: 'delivered', occurredAt: '2030-01-01T00:00:06.000Z' } });
  const res = await h.request(`/api/invitations/${invitationId}`, { as: 'receipt-user' });
  const { invitation } = (await res.json()) as { invitation: { status: string; failure?: { code: string } } };
  t.is(invitation.status, 'failed');
  t.is(invitation.failure?.code, 'CARRIER_UNREACHABLE');
});

test('a late provider-reported OPTED_OUT does not undo an explicit START', async (t) => {
  const { h } = t.context;
  const created = await inviteStatus(h, 'late-optout', '+14155557005');
  t.is(created.status, 201);
  await deliver(h, change('+14155557005', 'opt-out', 1), change('+14155557005', 'opt-in', 2));
  await deliver(h, {
    status: {
      invitationId: String(created.body.invitationId),
      status: 'failed',
      provider: 'twilio',
      occurredAt: '2030-01-01T00:00:00.500Z',
      error: { code: 'OPTED_OUT', message: 'Twilio 21610' },
    },
  });
  const again = await inviteStatus(h, 'late-optout-2', '+14155557005');
  // Not refused as opted out (the 24-hour phone guard of the first invitation still applies).
  t.not(again.body.error?.code, 'PHONE_OPTED_OUT');
  t.is(again.status, 429);
});
