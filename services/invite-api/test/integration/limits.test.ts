/**
 * The limits under concurrency and over time, against DynamoDB Local: one TransactWriteItems per
 * invitation with the daily counter, the phone guard and the global counter.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import { createAwsClients } from '@platform/aws-resources';
import { utcDayWindow, utcHourWindow } from '../../src/domain/windows.ts';
import { gsi1, keys } from '../../src/store/keys.ts';
import { useHarness, type Harness } from '../helpers/harness.ts';
import type { ApiBody } from '../helpers/openapi.ts';

async function invite(h: Harness, user: string, phoneNumber: string) {
  const res = await h.request('/api/invitations', { method: 'POST', as: user, json: { phoneNumber } });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

async function counter(h: Harness, key: { pk: string; sk: string }, attribute: string): Promise<number> {
  const { Item } = await h.aws.clients.documentClient.send(
    new GetCommand({ TableName: h.config.table, Key: key, ConsistentRead: true }),
  );
  return typeof Item?.[attribute] === 'number' ? Item[attribute] : 0;
}

/** The hourly global counter: the sum of its shards. */
async function globalCount(h: Harness, now: number): Promise<number> {
  const shards = Array.from({ length: h.config.limits.globalShards }, (_, shard) =>
    counter(h, keys.globalHour(utcHourWindow(now).key, shard), 'sms_count'),
  );
  return (await Promise.all(shards)).reduce((a, b) => a + b, 0);
}

async function invitationsOf(h: Harness, user: string): Promise<number> {
  const { Count } = await h.aws.clients.documentClient.send(
    new QueryCommand({
      TableName: h.config.table,
      IndexName: gsi1.name,
      KeyConditionExpression: 'gsi1pk = :u',
      ExpressionAttributeValues: { ':u': gsi1.inviter(user) },
      Select: 'COUNT',
    }),
  );
  return Count ?? 0;
}

function tally(results: { status: number; body: ApiBody }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of results) {
    const key = status === 201 ? 'created' : (body.error?.code ?? String(status));
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

test('50 parallel invitations by one user: exactly 10 created, 40 refused, counters exact', async (t) => {
  const h = await useHarness(t);
  const phones = Array.from({ length: 50 }, (_, i) => `+1415555${String(2000 + i)}`);
  const results = await Promise.all(phones.map((phone) => invite(h, 'busy-user', phone)));
  const counts = tally(results);
  t.log(
    `50 parallel invites by one user: created ${counts.created ?? 0}, rejected ${50 - (counts.created ?? 0)}`,
    counts,
  );
  t.deepEqual(counts, { created: 10, RATE_LIMITED_USER: 40 });

  const now = Date.now();
  t.is(
    await counter(h, keys.userQuota('busy-user', utcDayWindow(now).key), 'invitation_count'),
    10,
    'daily counter',
  );
  t.is(await globalCount(h, now), 10, 'global counter');
  t.is(await invitationsOf(h, 'busy-user'), 10, 'invitation items');
  const metrics = await h.metricTotals();
  t.is(metrics.InvitationsCreated, 10);
  t.is(metrics['InvitationsRejected:RATE_LIMITED_USER'], 40);
});

test('20 parallel invitations of one number by different users: exactly 1 created, counters exact', async (t) => {
  const h = await useHarness(t);
  const users = Array.from({ length: 20 }, (_, i) => `friend-${i}`);
  const results = await Promise.all(users.map((user) => invite(h, user, '+14155550177')));
  const counts = tally(results);
  t.log(
    `20 parallel invites of one number: created ${counts.created ?? 0}, rejected ${20 - (counts.created ?? 0)}`,
    counts,
  );
  t.deepEqual(counts, { created: 1, RATE_LIMITED_PHONE: 19 });

  const winner = users[results.findIndex((r) => r.status === 201)] ?? '';
  const { Item: guard } = await h.aws.clients.documentClient.send(
    new GetCommand({ TableName: h.config.table, Key: keys.phoneGuard('+14155550177'), ConsistentRead: true }),
  );
  t.is(guard?.inviter_user_id, winner, 'the guard names the one inviter who got through');
  const day = utcDayWindow(Date.now()).key;
  const quotas = await Promise.all(
    users.map((user) => counter(h, keys.userQuota(user, day), 'invitation_count')),
  );
  t.is(
    quotas.reduce((a, b) => a + b, 0),
    1,
    'refused requests consumed no quota',
  );
  t.is(await globalCount(h, Date.now()), 1, 'global counter');
});

test('the daily quota is per UTC calendar day (not rolling 24 h); the phone guard is rolling 24 h', async (t) => {
  let now = Date.parse('2025-01-31T23:50:00.000Z');
  const h = await useHarness(t, { clock: () => now });
  for (let i = 0; i < 10; i++) t.is((await invite(h, 'night-owl', `+1415555${3000 + i}`)).status, 201);
  const refused = await invite(h, 'night-owl', '+14155553010');
  t.is(refused.status, 429);
  t.is(refused.body.error?.code, 'RATE_LIMITED_USER');
  t.is(refused.body.error?.details?.retryAfterSeconds, 600, 'Retry-After runs to 00:00 UTC');

  now = Date.parse('2025-02-01T00:00:01.000Z');
  // Rolling 24 h would still refuse: all 10 were sent in the last 11 minutes.
  t.is((await invite(h, 'night-owl', '+14155553010')).status, 201, 'a new UTC day, a new quota');

  // The phone guard is rolling: 24 h after the first invitation, not at midnight.
  const other = await invite(h, 'someone-else', '+14155553000');
  t.is(other.status, 429);
  t.is(other.body.error?.code, 'RATE_LIMITED_PHONE');
  t.is(other.body.error?.details?.retryAfterSeconds, 24 * 3600 - 601);
  now = Date.parse('2025-02-01T23:49:59.000Z');
  t.is((await invite(h, 'someone-else', '+14155553000')).status, 429, '1 s before the 24 h are over');
  now = Date.parse('2025-02-01T23:50:00.000Z');
  t.is((await invite(h, 'someone-else', '+14155553000')).status, 201, 'exactly 24 h later');
});

test('code collisions retry with a new code; endless collisions end in 503, nothing half-written', async (t) => {
  const codes = ['APP-AAAAAA', 'APP-AAAAAA', 'APP-AAAAAA', 'APP-BBBBBB'];
  let stuck = false;
  const h = await useHarness(t, {
    newInviteCode: () => (stuck ? 'APP-AAAAAA' : (codes.shift() ?? 'APP-CCCCCC')),
  });
  const first = await invite(h, 'collide-1', '+14155554001');
  t.is(first.body.inviteCode, 'APP-AAAAAA');
  const second = await invite(h, 'collide-2', '+14155554002');
  t.is(second.status, 201);
  t.is(second.body.inviteCode, 'APP-BBBBBB', 'two collisions, then a fresh code');
  t.is(h.logs.filter((l) => l.msg === 'identifier collision; retrying with a new one').length, 2);

  stuck = true;
  const exhausted = await invite(h, 'collide-3', '+14155554003');
  t.is(exhausted.status, 503);
  t.is(exhausted.body.error?.code, 'SERVICE_UNAVAILABLE');
  t.is(await invitationsOf(h, 'collide-3'), 0);
  t.is(await counter(h, keys.userQuota('collide-3', utcDayWindow(Date.now()).key), 'invitation_count'), 0);
});

test('TransactionConflict (a hot counter on real DynamoDB) is retried with backoff', async (t) => {
  let conflictsLeft = 2;
  const h = await useHarness(t, {
    documentClient: (aws) => {
      // DynamoDB Local serialises transactions and never reports TransactionConflict; real DynamoDB
      // does when two transactions touch the same counter item. This client answers the first two
      // transactions the way DynamoDB would.
      const clients = createAwsClients(aws.env);
      t.teardown(() => clients.destroy());
      clients.dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'TransactWriteItemsCommand' && conflictsLeft > 0) {
            conflictsLeft--;
            throw new TransactionCanceledException({
              message:
                'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
              $metadata: { httpStatusCode: 400 },
              CancellationReasons: [
                { Code: 'None' },
                { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
              ],
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'injectTransactionConflict' },
      );
      return DynamoDBDocumentClient.from(clients.dynamodb, {
        marshallOptions: { removeUndefinedValues: true },
      });
    },
  });
  const result = await invite(h, 'contended', '+14155554100');
  t.is(result.status, 201);
  t.is(conflictsLeft, 0, 'both conflicts were seen and retried');
});

test('the sharded global ceiling never lets more through than GLOBAL_SMS_PER_HOUR', async (t) => {
  const h = await useHarness(t, { env: { GLOBAL_SMS_PER_HOUR: '4', GLOBAL_SMS_COUNTER_SHARDS: '2' } });
  const results = [];
  for (let i = 0; i < 8; i++) results.push(await invite(h, `ceiling-${i}`, `+1415555${String(4200 + i)}`));
  const counts = tally(results);
  t.log('sequential invitations against a ceiling of 4 in 2 shards:', counts);
  const created = counts.created ?? 0;
  // Each shard allows 2; the breaker opens when the shard a request drew is full.
  t.true(created >= 2 && created <= 4, JSON.stringify(counts));
  t.is(counts.SERVICE_UNAVAILABLE, 8 - created);
  t.is(await globalCount(h, Date.now()), created);
});
