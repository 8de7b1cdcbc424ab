/**
 * Expiry, revoke and resend against the real service (createInviteApi) on DynamoDB Local and fauxqs,
 * with an injected clock so a 14-day expiry and a resend cooldown take no time. Every response is
 * checked against the OpenAPI document.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import { decodeMessage } from '@platform/contracts';
import { utcDayWindow } from '../../src/domain/windows.ts';
import { keys } from '../../src/store/keys.ts';
import { useHarness, type Harness } from '../helpers/harness.ts';
import { documented, type ApiBody } from '../helpers/openapi.ts';

const DAY_MS = 86_400_000;
const INVITATIONS = '/api/invitations';
const ONE = '/api/invitations/{invitationId}';
const RESEND = '/api/invitations/{invitationId}/resend';

/** A clock the test moves; starts at noon UTC so a few hours never cross the daily window. */
function testClock() {
  let now = Math.floor(Date.now() / DAY_MS) * DAY_MS + 12 * 3_600_000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function create(h: Harness, user: string, phoneNumber: string) {
  const res = await h.request(INVITATIONS, { method: 'POST', as: user, json: { phoneNumber } });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as {
    invitationId: string;
    inviteCode: string;
    expiresAt: string;
    createdAt: string;
  };
}

async function markSent(h: Harness, invitationId: string, clock: () => number) {
  const now = new Date(clock()).toISOString();
  await h.api.store.applyStatus({
    invitationId,
    status: 'sent',
    occurredAt: now,
    provider: 'local',
    providerMessageId: `local-${invitationId}`,
    now,
  });
}

const accept = (h: Harness, user: string, inviteCode: string) =>
  h.request(`${INVITATIONS}/accept`, { method: 'POST', as: user, json: { inviteCode } });

test('every invitation expires after INVITE_TTL_DAYS: accept refused with INVITATION_EXPIRED, page 410', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, { clock: clock.now, env: { INVITE_TTL_DAYS: '14' } });
  const created = await create(h, 'inviter-e', '+14155552671');
  t.is(Date.parse(created.expiresAt) - Date.parse(created.createdAt), 14 * DAY_MS);

  clock.advance(14 * DAY_MS - 1);
  const stillOk = await h.request(`${INVITATIONS}/${created.invitationId}`, { as: 'inviter-e' });
  t.is(((await documented(t, stillOk, 'get', ONE)).invitation as ApiBody).status, 'queued');

  clock.advance(1);
  const late = await accept(h, 'friend-e', created.inviteCode);
  t.is(late.status, 410);
  const body = await documented(t, late, 'post', `${INVITATIONS}/accept`);
  t.is(body.error?.code, 'INVITATION_EXPIRED');
  const read = await h.request(`${INVITATIONS}/${created.invitationId}`, { as: 'inviter-e' });
  t.is(((await documented(t, read, 'get', ONE)).invitation as ApiBody).status, 'expired');

  const page = await h.request(`/invite/${created.inviteCode}`);
  t.is(page.status, 410);
  t.regex(await page.text(), /has expired/);
  const revoke = await h.request(`${INVITATIONS}/${created.invitationId}`, {
    method: 'DELETE',
    as: 'inviter-e',
  });
  t.is(revoke.status, 409);
  t.is((await documented(t, revoke, 'delete', ONE)).error?.details?.reason, 'EXPIRED');
  const rewards = await h.api.store.rewardsOf('inviter-e');
  t.is(rewards.rewards.length, 0, 'an expired invitation earns nothing');
});

test('revoke: only the inviter, idempotent, final; the code then answers 410 and accepts are refused', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, { clock: clock.now });
  const created = await create(h, 'inviter-r', '+14155552672');
  const path = `${INVITATIONS}/${created.invitationId}`;

  const stranger = await h.request(path, { method: 'DELETE', as: 'someone-else' });
  t.is(stranger.status, 404, "another user's invitation does not exist for them");
  await documented(t, stranger, 'delete', ONE);

  const first = await h.request(path, { method: 'DELETE', as: 'inviter-r' });
  t.is(first.status, 200);
  const revoked = (await documented(t, first, 'delete', ONE)).invitation as ApiBody;
  t.is(revoked.status, 'revoked');
  t.truthy(revoked.revokedAt);
  const again = await h.request(path, { method: 'DELETE', as: 'inviter-r' });
  t.is(again.status, 200, 'revoking twice is harmless');
  t.is(((await documented(t, again, 'delete', ONE)).invitation as ApiBody).revokedAt, revoked.revokedAt);

  // A late delivery receipt cannot bring it back (revoked is final).
  await markSent(h, created.invitationId, clock.now);
  t.is((await h.api.store.get(created.invitationId))?.status, 'revoked');
  await h.api.publisher.drain(); // the create's send runs after its 201
  const { Item: outbox } = await h.aws.clients.documentClient.send(
    new GetCommand({
      TableName: h.config.table,
      Key: keys.outbox(created.invitationId),
      ConsistentRead: true,
    }),
  );
  t.is(outbox, undefined, 'no SMS left in the outbox');

  const refused = await accept(h, 'friend-r', created.inviteCode);
  t.is(refused.status, 410);
  t.is((await documented(t, refused, 'post', `${INVITATIONS}/accept`)).error?.code, 'INVITATION_REVOKED');
  const page = await h.request(`/invite/${created.inviteCode}`);
  t.is(page.status, 410);
  const html = await page.text();
  t.regex(html, /withdrew this invitation/);
  t.false(html.includes('2672'), 'the page never shows the number');
  const resend = await h.request(`${path}/resend`, { method: 'POST', as: 'inviter-r' });
  t.is(resend.status, 409);
  t.is((await documented(t, resend, 'post', RESEND)).error?.code, 'RESEND_NOT_ALLOWED');
});

test('an accepted invitation cannot be revoked', async (t) => {
  const h = await useHarness(t);
  const created = await create(h, 'inviter-a', '+14155552673');
  t.is((await accept(h, 'friend-a', created.inviteCode)).status, 200);
  const res = await h.request(`${INVITATIONS}/${created.invitationId}`, {
    method: 'DELETE',
    as: 'inviter-a',
  });
  t.is(res.status, 409);
  const body = await documented(t, res, 'delete', ONE);
  t.like(body.error, { code: 'INVITATION_NOT_REVOCABLE', details: { reason: 'ACCEPTED' } });
  t.is((await h.api.store.get(created.invitationId))?.status, 'accepted');
});

test('resend: same code through the outbox, only while sent/delivered, cooldown, MAX_RESENDS, owner only', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, {
    clock: clock.now,
    env: { MAX_RESENDS: '2', RESEND_COOLDOWN_SECONDS: '600' },
  });
  const created = await create(h, 'inviter-s', '+14155552674');
  const path = `${INVITATIONS}/${created.invitationId}/resend`;
  const resend = (user = 'inviter-s') => h.request(path, { method: 'POST', as: user });

  const whileQueued = await resend();
  t.is(whileQueued.status, 409, 'the first SMS is still on its way');
  t.like((await documented(t, whileQueued, 'post', RESEND)).error, {
    code: 'RESEND_NOT_ALLOWED',
    details: { reason: 'NOT_PENDING', status: 'queued' },
  });
  await markSent(h, created.invitationId, clock.now);

  const tooSoon = await resend();
  t.is(tooSoon.status, 429);
  t.is((await documented(t, tooSoon, 'post', RESEND)).error?.code, 'RATE_LIMITED_RESEND');
  t.is(tooSoon.headers.get('retry-after'), '600');

  const stranger = await resend('someone-else');
  t.is(stranger.status, 404);
  await documented(t, stranger, 'post', RESEND);

  clock.advance(600_000);
  const first = await resend();
  t.is(first.status, 202);
  const view = (await documented(t, first, 'post', RESEND)).invitation as ApiBody;
  t.like(view, { status: 'sent', resendCount: 1, inviteCode: created.inviteCode });

  // The SMS request is on the queue under the resend's own send id, with the same code and link.
  const messages = await drainSmsRequests(h);
  const resent = messages.find((m) => m.invitationId === `${created.invitationId}_resend1`);
  t.truthy(resent, 'sms.requested for the resend');
  t.is(resent?.inviteCode, created.inviteCode);
  t.true(resent?.text?.includes(`/invite/${created.inviteCode}`));

  // Its status events come back under the send id and move the invitation.
  const now = new Date(clock.now()).toISOString();
  const outcome = await h.api.store.applyStatus({
    invitationId: `${created.invitationId}_resend1`,
    status: 'delivered',
    occurredAt: now,
    provider: 'local',
    providerMessageId: 'local-r1',
    now,
  });
  t.is(outcome.kind, 'applied');
  t.is((await h.api.store.get(created.invitationId))?.status, 'delivered');

  clock.advance(600_000);
  t.is((await resend()).status, 202);
  clock.advance(600_000);
  const third = await resend();
  t.is(third.status, 409);
  t.like((await documented(t, third, 'post', RESEND)).error, {
    code: 'RESEND_NOT_ALLOWED',
    details: { reason: 'MAX_RESENDS', limit: 2 },
  });
  // Each resend is one SMS against the daily limit: 1 invitation + 2 resends.
  t.is(await dailyCount(h, 'inviter-s', clock.now()), 3);
});

test('a resend counts against the daily limit and never goes to a number that opted out', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, {
    clock: clock.now,
    env: { LIMIT_PER_USER_PER_DAY: '2', RESEND_COOLDOWN_SECONDS: '0' },
  });
  const a = await create(h, 'inviter-q', '+14155552675');
  await markSent(h, a.invitationId, clock.now);
  t.is(
    (await h.request(`${INVITATIONS}/${a.invitationId}/resend`, { method: 'POST', as: 'inviter-q' })).status,
    202,
  );
  const overLimit = await h.request(`${INVITATIONS}/${a.invitationId}/resend`, {
    method: 'POST',
    as: 'inviter-q',
  });
  t.is(overLimit.status, 429);
  t.is((await documented(t, overLimit, 'post', RESEND)).error?.code, 'RATE_LIMITED_USER');

  const b = await create(h, 'inviter-o', '+14155552676');
  await markSent(h, b.invitationId, clock.now);
  await h.api.store.suppress('+14155552676', {
    reason: 'OPTED_OUT',
    invitationId: b.invitationId,
    now: new Date(clock.now()).toISOString(),
  });
  const suppressed = await h.request(`${INVITATIONS}/${b.invitationId}/resend`, {
    method: 'POST',
    as: 'inviter-o',
  });
  t.is(suppressed.status, 422);
  t.is((await documented(t, suppressed, 'post', RESEND)).error?.code, 'PHONE_OPTED_OUT');
  t.is((await h.api.store.get(b.invitationId))?.resendCount, 0, 'a refused resend changes nothing');
});

test('10 concurrent resends of one invitation: exactly one SMS', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, { clock: clock.now, env: { RESEND_COOLDOWN_SECONDS: '60' } });
  const created = await create(h, 'inviter-c', '+14155552677');
  await markSent(h, created.invitationId, clock.now);
  clock.advance(60_000);
  const results = await Promise.all(
    Array.from({ length: 10 }, () =>
      h.request(`${INVITATIONS}/${created.invitationId}/resend`, { method: 'POST', as: 'inviter-c' }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  t.log('10 concurrent resends:', statuses.join(','));
  t.is(statuses.filter((s) => s === 202).length, 1);
  t.true(statuses.every((s) => s === 202 || s === 429));
  t.is((await h.api.store.get(created.invitationId))?.resendCount, 1);
  t.is(await dailyCount(h, 'inviter-c', clock.now()), 2);
});

async function dailyCount(h: Harness, user: string, now: number): Promise<number> {
  const { Item } = await h.aws.clients.documentClient.send(
    new GetCommand({
      TableName: h.config.table,
      Key: keys.userQuota(user, utcDayWindow(now).key),
      ConsistentRead: true,
    }),
  );
  return typeof Item?.invitation_count === 'number' ? Item.invitation_count : 0;
}

async function drainSmsRequests(h: Harness) {
  const found: { invitationId: string; inviteCode: string; text?: string }[] = [];
  for (let round = 0; round < 5; round++) {
    const { Messages = [] } = await h.aws.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.aws.urls.smsRequests,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      const decoded = decodeMessage(message);
      if (decoded.contract === 'sms.requested') found.push(decoded.payload);
    }
    if (Messages.length === 0 && found.length > 0) break;
  }
  return found;
}

test('a resend retried with its Idempotency-Key (the response was lost) is 202 again without a second SMS', async (t) => {
  const clock = testClock();
  const h = await useHarness(t, { clock: clock.now, env: { RESEND_COOLDOWN_SECONDS: '0' } });
  const created = await create(h, 'inviter-k', '+14155552678');
  await markSent(h, created.invitationId, clock.now);
  const resend = (key: string) =>
    h.request(`${INVITATIONS}/${created.invitationId}/resend`, {
      method: 'POST',
      as: 'inviter-k',
      headers: { 'idempotency-key': key },
    });
  const first = await resend('click-1');
  t.is(first.status, 202);
  const retry = await resend('click-1');
  t.is(retry.status, 202);
  t.is(((await documented(t, retry, 'post', RESEND)).invitation as ApiBody).resendCount, 1);
  t.is(await dailyCount(h, 'inviter-k', clock.now()), 2, 'one invitation + one resend');
  t.is((await resend('click-2')).status, 202, 'a new key is a new resend');
  t.is((await h.api.store.get(created.invitationId))?.resendCount, 2);
});
