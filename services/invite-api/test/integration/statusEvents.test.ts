/**
 * sms.status events from the invite-events queue, through the real consumer: statuses only move
 * forward, repeated events count once, opted-out numbers are suppressed, bad events are dead-lettered.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { encodeMessage, type SmsStatus } from '@platform/contracts';
import { createLogger } from '@platform/telemetry';
import { waitForMessageCount, waitForQueueEmpty } from '@platform/testkit';
import { STATUS_RANK } from '../../src/domain/status.ts';
import { createSmsStatusApplier } from '../../src/events/applySmsStatus.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import type { ApiBody } from '../helpers/openapi.ts';

const test = anyTest as TestFn<{ h: Harness }>;

test.before(async (t) => {
  t.context.h = await startHarness({ startConsumer: true });
});
test.after.always(async (t) => t.context.h.stop());

let sequence = 0;
async function newInvitation(
  h: Harness,
): Promise<{ invitationId: string; user: string; phoneNumber: string }> {
  sequence += 1;
  const user = `status-user-${sequence}`;
  const phoneNumber = `+1415555${6000 + sequence}`;
  const res = await h.request('/api/invitations', { method: 'POST', as: user, json: { phoneNumber } });
  const body = (await res.json()) as ApiBody;
  if (res.status !== 201) throw new Error(`invitation not created: ${JSON.stringify(body)}`);
  return { invitationId: String(body.invitationId), user, phoneNumber };
}

function statusEvent(
  invitationId: string,
  status: Exclude<SmsStatus['status'], 'undelivered'>,
  occurredAt = new Date().toISOString(),
): SmsStatus {
  return status === 'failed'
    ? {
        invitationId,
        status,
        provider: 'local',
        occurredAt,
        error: { code: 'PROVIDER_REJECTED', message: 'rejected' },
      }
    : { invitationId, status, provider: 'local', providerMessageId: `local-${invitationId}`, occurredAt };
}

/** Sends the events in order and waits until the consumer has settled all of them. */
async function deliver(h: Harness, ...events: SmsStatus[]): Promise<void> {
  for (const event of events) {
    await h.aws.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: h.aws.urls.inviteEvents, ...encodeMessage('sms.status', event) }),
    );
  }
  await waitForQueueEmpty(h.aws.clients.sqs, h.aws.urls.inviteEvents, { timeoutMs: 20_000 });
}

async function invitation(h: Harness, user: string, invitationId: string): Promise<Record<string, unknown>> {
  const res = await h.request(`/api/invitations/${invitationId}`, { as: user });
  return ((await res.json()) as ApiBody).invitation as Record<string, unknown>;
}

test('queued -> sent -> delivered, recording sent_at and delivered_at', async (t) => {
  const { h } = t.context;
  const { invitationId, user } = await newInvitation(h);
  await deliver(h, statusEvent(invitationId, 'sent', '2030-01-01T00:00:01.000Z'));
  t.like(await invitation(h, user, invitationId), { status: 'sent', sentAt: '2030-01-01T00:00:01.000Z' });
  await deliver(h, statusEvent(invitationId, 'delivered', '2030-01-01T00:00:05.000Z'));
  t.like(await invitation(h, user, invitationId), {
    status: 'delivered',
    sentAt: '2030-01-01T00:00:01.000Z',
    deliveredAt: '2030-01-01T00:00:05.000Z',
  });
});

test('out of order: delivered before sent stays delivered and still records sent_at', async (t) => {
  const { h } = t.context;
  const { invitationId, user } = await newInvitation(h);
  await deliver(h, statusEvent(invitationId, 'delivered', '2030-01-01T00:00:05.000Z'));
  await deliver(h, statusEvent(invitationId, 'sent', '2030-01-01T00:00:01.000Z'));
  t.like(await invitation(h, user, invitationId), {
    status: 'delivered',
    sentAt: '2030-01-01T00:00:01.000Z',
    deliveredAt: '2030-01-01T00:00:05.000Z',
  });
});

// Serial: it reads a metric total that concurrent tests would also move.
test.serial('repeated events change nothing and count once', async (t) => {
  const { h } = t.context;
  const before = (await h.metricTotals()).InvitationsSent ?? 0;
  const { invitationId, user } = await newInvitation(h);
  const sent = statusEvent(invitationId, 'sent', '2030-01-01T00:00:01.000Z');
  await deliver(h, sent, sent, sent);
  t.like(await invitation(h, user, invitationId), { status: 'sent', sentAt: '2030-01-01T00:00:01.000Z' });
  t.is(((await h.metricTotals()).InvitationsSent ?? 0) - before, 1);
});

test('failed after delivered, or sent after accepted, never moves back', async (t) => {
  const { h } = t.context;
  const a = await newInvitation(h);
  // One at a time: SQS does not keep order, and delivered and failed share a rank (first one stands).
  await deliver(h, statusEvent(a.invitationId, 'delivered'));
  await deliver(h, statusEvent(a.invitationId, 'failed'));
  t.like(await invitation(h, a.user, a.invitationId), { status: 'delivered' });
  t.is((await invitation(h, a.user, a.invitationId)).failure, undefined);

  const b = await newInvitation(h);
  const code = (
    (await (await h.request(`/api/invitations/${b.invitationId}`, { as: b.user })).json()) as ApiBody
  ).invitation as { inviteCode: string };
  const accept = await h.request('/api/invitations/accept', {
    method: 'POST',
    as: 'friend',
    json: { inviteCode: code.inviteCode },
  });
  t.is(accept.status, 200);
  await deliver(h, statusEvent(b.invitationId, 'sent', '2030-01-01T00:00:01.000Z'));
  t.like(await invitation(h, b.user, b.invitationId), {
    status: 'accepted',
    sentAt: '2030-01-01T00:00:01.000Z',
  });
});

test('failed with OPTED_OUT: recorded, and the number is suppressed for every inviter', async (t) => {
  const { h } = t.context;
  const { invitationId, user, phoneNumber } = await newInvitation(h);
  await deliver(h, {
    invitationId,
    status: 'failed',
    provider: 'twilio',
    occurredAt: '2030-01-01T00:00:02.000Z',
    error: { code: 'OPTED_OUT', message: 'Twilio 21610: recipient unsubscribed' },
  });
  t.like(await invitation(h, user, invitationId), {
    status: 'failed',
    failedAt: '2030-01-01T00:00:02.000Z',
    failure: { code: 'OPTED_OUT', message: 'Twilio 21610: recipient unsubscribed' },
  });
  const again = await h.request('/api/invitations', {
    method: 'POST',
    as: 'another-inviter',
    json: { phoneNumber },
  });
  t.is(again.status, 422);
  t.is(((await again.json()) as ApiBody).error?.code, 'PHONE_OPTED_OUT');
  t.true(((await h.metricTotals()).InvitationsFailed ?? 0) >= 1);
});

test('an event for an unknown invitation and a malformed event go to the DLQ', async (t) => {
  const { h } = t.context;
  await deliver(h, statusEvent('inv-does-not-exist', 'sent'));
  await h.aws.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: h.aws.urls.inviteEvents,
      MessageBody: JSON.stringify({ invitationId: 'x', status: 'exploded' }),
      MessageAttributes: {
        contract: { DataType: 'String', StringValue: 'sms.status' },
        'contract-version': { DataType: 'String', StringValue: '1' },
      },
    }),
  );
  t.is(await waitForMessageCount(h.aws.clients.sqs, h.aws.urls.inviteEventsDlq, 2, { timeoutMs: 20_000 }), 2);
});

test('property: any sequence of status events leaves the highest-ranked status, never a lower one', async (t) => {
  const { h } = t.context;
  const logger = createLogger({ service: 'invite-api-test', level: 'silent' });
  const apply = createSmsStatusApplier({
    store: h.api.store,
    metrics: { count: () => {} },
    logger,
    clock: Date.now,
  });
  const statuses = fc.constantFrom<Exclude<SmsStatus['status'], 'undelivered'>>(
    'sent',
    'delivered',
    'failed',
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(statuses, { minLength: 1, maxLength: 6 }), async (sequenceOfStatuses) => {
      runs++;
      const { invitationId } = await newInvitation(h);
      let highest = 0;
      let settled: SmsStatus['status'] | undefined;
      for (const status of sequenceOfStatuses) {
        await apply(statusEvent(invitationId, status));
        const current = await h.api.store.get(invitationId);
        const rank = STATUS_RANK[current?.status ?? 'queued'];
        if (rank < highest) return false; // moved backwards
        highest = rank;
        // delivered and failed share a rank: whichever came first stands.
        if (settled === undefined && (status === 'delivered' || status === 'failed')) settled = status;
      }
      const final = (await h.api.store.get(invitationId))?.status;
      const expected = settled ?? 'sent';
      return final === expected;
    }),
    { numRuns: 25 },
  );
  t.log(`${runs} random event sequences applied; none moved a status backwards`);
  t.is(runs, 25);
});
