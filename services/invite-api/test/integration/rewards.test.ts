/**
 * Referral rewards: written in the same DynamoDB transaction as the acceptance, so exactly one per
 * accepted invitation whatever the concurrency; capped per inviter; a welcome reward for the new user.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import test, { type ExecutionContext } from 'ava';
import { createAwsClients } from '@platform/aws-resources';
import type { IsolatedAws } from '@platform/testkit';
import { REWARD_SORT_PREFIX, keys } from '../../src/store/keys.ts';
import { useHarness, type Harness } from '../helpers/harness.ts';
import { documented, type ApiBody } from '../helpers/openapi.ts';

const ACCEPT = '/api/invitations/accept';

async function create(h: Harness, user: string, phoneNumber: string) {
  const res = await h.request('/api/invitations', { method: 'POST', as: user, json: { phoneNumber } });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { invitationId: string; inviteCode: string };
}

const accept = (h: Harness, user: string, inviteCode: string) =>
  h.request(ACCEPT, { method: 'POST', as: user, json: { inviteCode } });

/** Reward items in DynamoDB itself (not through the API): what really exists. */
async function rewardItems(h: Harness, user: string) {
  const { Items = [] } = await h.aws.clients.documentClient.send(
    new QueryCommand({
      TableName: h.config.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.rewardAccount(user).pk, ':prefix': REWARD_SORT_PREFIX },
      ConsistentRead: true,
    }),
  );
  return Items;
}

test('accepting rewards the inviter and welcomes the new user; GET /api/rewards shows both', async (t) => {
  const h = await useHarness(t, { env: { REFERRAL_REWARD_POINTS: '100', WELCOME_REWARD_POINTS: '50' } });
  const created = await create(h, 'inviter-1', '+14155552671');
  const res = await accept(h, 'friend-1', created.inviteCode);
  t.is(res.status, 200);
  t.like(await documented(t, res, 'post', ACCEPT), { inviterName: 'User inviter-1', welcomePoints: 50 });

  const inviter = await h.request('/api/rewards', { as: 'inviter-1' });
  const body = await documented(t, inviter, 'get', '/api/rewards');
  t.like(body, { balance: 100, referralCount: 1, cap: 20, remaining: 19 });
  t.like((body.rewards as ApiBody[])[0], {
    kind: 'referral',
    points: 100,
    invitationId: created.invitationId,
  });
  const friend = await documented(
    t,
    await h.request('/api/rewards', { as: 'friend-1' }),
    'get',
    '/api/rewards',
  );
  t.like(friend, { balance: 50, referralCount: 0 });
  t.like((friend.rewards as ApiBody[])[0], { kind: 'welcome', points: 50 });

  // Polling: an unchanged reward list is a 304.
  const etag = inviter.headers.get('etag') ?? '';
  const unchanged = await h.request('/api/rewards', { as: 'inviter-1', headers: { 'if-none-match': etag } });
  t.is(unchanged.status, 304);

  const again = await accept(h, 'friend-1', created.inviteCode);
  t.is(again.status, 200);
  t.is((await documented(t, again, 'post', ACCEPT)).welcomePoints, 0, 'a repeat earns nothing more');
  t.is((await rewardItems(h, 'inviter-1')).length, 1);
  t.is((await rewardItems(h, 'friend-1')).length, 1);
});

test('no reward for refused accepts: own invitation, a second user, a user who already joined', async (t) => {
  const h = await useHarness(t);
  const first = await create(h, 'inviter-2', '+14155552672');
  const second = await create(h, 'inviter-3', '+14155552673');

  const own = await accept(h, 'inviter-2', first.inviteCode);
  t.is(own.status, 409);
  t.is((await documented(t, own, 'post', ACCEPT)).error?.details?.reason, 'OWN_INVITATION');
  t.is((await accept(h, 'friend-2', first.inviteCode)).status, 200);
  const taken = await accept(h, 'friend-3', first.inviteCode);
  t.is(taken.status, 409);
  t.is((await documented(t, taken, 'post', ACCEPT)).error?.details?.reason, 'ALREADY_ACCEPTED');
  const twice = await accept(h, 'friend-2', second.inviteCode);
  t.is(twice.status, 409, 'one person joins once');
  t.is((await documented(t, twice, 'post', ACCEPT)).error?.details?.reason, 'ALREADY_REFERRED');
  t.is((await h.api.store.get(second.invitationId))?.status, 'queued', 'the refused accept changed nothing');
  t.is((await rewardItems(h, 'inviter-2')).length, 1);
  t.is((await rewardItems(h, 'inviter-3')).length, 0);
});

test('REWARD_CAP_PER_INVITER: acceptances beyond the cap succeed without a reward', async (t) => {
  const h = await useHarness(t, { env: { REWARD_CAP_PER_INVITER: '2', REFERRAL_REWARD_POINTS: '10' } });
  const codes = [];
  for (const phone of ['+14155552681', '+14155552682', '+14155552683']) {
    codes.push((await create(h, 'inviter-cap', phone)).inviteCode);
  }
  const statuses = [];
  for (const [i, code] of codes.entries()) statuses.push((await accept(h, `cap-friend-${i}`, code)).status);
  t.deepEqual(statuses, [200, 200, 200]);
  const rewards = await documented(
    t,
    await h.request('/api/rewards', { as: 'inviter-cap' }),
    'get',
    '/api/rewards',
  );
  t.like(rewards, { balance: 20, referralCount: 2, cap: 2, remaining: 0 });
  t.is((await rewardItems(h, 'inviter-cap')).length, 2);
});

test('20 parallel accepts of one code: by different users one wins, by the same user all succeed; exactly 1 reward', async (t) => {
  const h = await useHarness(t, { env: { WELCOME_REWARD_POINTS: '50' } });

  const contested = await create(h, 'inviter-p', '+14155552691');
  const byDifferent = await Promise.all(
    Array.from({ length: 20 }, (_, i) => accept(h, `racer-${i}`, contested.inviteCode)),
  );
  const different = tally(await Promise.all(byDifferent.map(outcome)));
  const rewardsDifferent = (await rewardItems(h, 'inviter-p')).length;
  const welcomes = (
    await Promise.all(Array.from({ length: 20 }, (_, i) => rewardItems(h, `racer-${i}`)))
  ).flat().length;
  t.log(
    `20 parallel accepts by 20 users: ${different.ok ?? 0} succeeded, ${20 - (different.ok ?? 0)} refused`,
    different,
    `inviter rewards: ${rewardsDifferent}, welcome rewards: ${welcomes}`,
  );
  t.is(different.ok, 1);
  t.is(different.ALREADY_ACCEPTED, 19);
  t.is(rewardsDifferent, 1);
  t.is(welcomes, 1);

  const repeated = await create(h, 'inviter-q', '+14155552692');
  const bySame = await Promise.all(
    Array.from({ length: 20 }, () => accept(h, 'same-racer', repeated.inviteCode)),
  );
  const same = tally(await Promise.all(bySame.map(outcome)));
  const rewardsSame = (await rewardItems(h, 'inviter-q')).length;
  t.log(
    `20 parallel accepts by one user: ${same.ok ?? 0} succeeded (idempotent), inviter rewards: ${rewardsSame}, welcome rewards: ${(await rewardItems(h, 'same-racer')).length}`,
  );
  t.is(same.ok, 20);
  t.is(rewardsSame, 1);
  t.is((await rewardItems(h, 'same-racer')).length, 1);
  const balance = await documented(
    t,
    await h.request('/api/rewards', { as: 'inviter-q' }),
    'get',
    '/api/rewards',
  );
  t.is(balance.balance, 100);
});

async function outcome(res: Response): Promise<string> {
  const body = (await res.json()) as ApiBody;
  if (res.status === 200) return 'ok';
  const reason = body.error?.details?.reason;
  return typeof reason === 'string' ? reason : (body.error?.code ?? String(res.status));
}

function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

/**
 * A document client whose accept transactions misbehave the way real DynamoDB and real networks can:
 * `conflicts` TransactionConflict cancellations first (DynamoDB Local serialises transactions and
 * never reports one), then `lostResponses` transactions that COMMIT but whose response is lost.
 */
function faultyAcceptClient(t: ExecutionContext, faults: { conflicts: number; lostResponses: number }) {
  return (aws: IsolatedAws) => {
    const clients = createAwsClients(aws.env);
    t.teardown(() => clients.destroy());
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input?: { TransactItems?: { Update?: { UpdateExpression?: string } }[] } })
          .input;
        const isAccept =
          input?.TransactItems?.[0]?.Update?.UpdateExpression?.includes('accepted_by') === true;
        if (context.commandName === 'TransactWriteItemsCommand' && isAccept) {
          if (faults.conflicts > 0) {
            faults.conflicts--;
            throw new TransactionCanceledException({
              message: 'Transaction cancelled [None, TransactionConflict]',
              $metadata: { httpStatusCode: 400 },
              CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'ongoing' }],
            });
          }
          if (faults.lostResponses > 0) {
            faults.lostResponses--;
            await next(args);
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectAcceptFaults' },
    );
    return DynamoDBDocumentClient.from(clients.dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    });
  };
}

test('TransactionConflict on accept is retried: accepted once, one reward', async (t) => {
  const faults = { conflicts: 2, lostResponses: 0 };
  const h = await useHarness(t, { documentClient: faultyAcceptClient(t, faults) });
  const created = await create(h, 'inviter-tc', '+14155552695');
  const res = await accept(h, 'friend-tc', created.inviteCode);
  t.is(res.status, 200);
  t.is(faults.conflicts, 0, 'both conflicts were seen and retried');
  t.is((await rewardItems(h, 'inviter-tc')).length, 1);
});

test('the acceptance committed but its response was lost: the retry is 200, still one reward', async (t) => {
  const faults = { conflicts: 0, lostResponses: 1 };
  const h = await useHarness(t, {
    env: { WELCOME_REWARD_POINTS: '50' },
    documentClient: faultyAcceptClient(t, faults),
  });
  const created = await create(h, 'inviter-lost', '+14155552696');
  const first = await accept(h, 'friend-lost', created.inviteCode);
  t.is(first.status, 503, 'the client hears a retryable error, not a crash');
  t.is(first.headers.get('retry-after'), '1');
  t.is((await h.api.store.get(created.invitationId))?.status, 'accepted', 'yet it took effect');
  const retry = await accept(h, 'friend-lost', created.inviteCode);
  t.is(retry.status, 200);
  t.is((await documented(t, retry, 'post', ACCEPT)).status, 'accepted');
  t.is((await rewardItems(h, 'inviter-lost')).length, 1, 'no second referral reward');
  t.is((await rewardItems(h, 'friend-lost')).length, 1, 'no second welcome reward');
});
