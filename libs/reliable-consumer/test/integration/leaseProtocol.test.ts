// The hardened lease protocol against DynamoDB Local: an acquire whose response was lost is
// recognised as our own (per-acquire token), fenced service-field updates, the failure count, and
// the holder's own monotonic deadline refusing writes before they are sent.
import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from '@platform/aws-resources';
import { TransientError } from '@platform/errors';
import { useIsolatedAws, type IsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createLeaseLedger, LeaseLostError, type AcquireResult, type Lease } from '../../src/index.ts';

const LEASE_MS = 30_000;

/** What a dropped connection looks like to the caller: Node's ECONNRESET, after the write applied. */
function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/**
 * A DynamoDB client (`Pick<Client, 'send'>`) that forwards every command to the real DynamoDB Local
 * and, for the first `drop` UpdateItems, throws a network error INSTEAD of returning the answer:
 * the write took effect, the caller never heard.
 */
function droppingAnswers(ddb: DynamoDBDocumentClient, drop: number) {
  const sent: string[] = [];
  let left = drop;
  const client: Pick<DynamoDBDocumentClient, 'send'> = {
    send: (async (command: { constructor: { name: string } }, options?: unknown) => {
      sent.push(command.constructor.name);
      const answer = await (ddb.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      if (command instanceof UpdateCommand && left > 0) {
        left -= 1;
        throw connectionReset();
      }
      return answer;
    }) as DynamoDBDocumentClient['send'],
  };
  return { client, sent };
}

function ledgerOn(aws: IsolatedAws, ddb: Pick<DynamoDBDocumentClient, 'send'>, monotonic?: () => number) {
  return createLeaseLedger(
    { ddb, ...(monotonic === undefined ? {} : { monotonic }) },
    { tableName: aws.tables.imageJobs, keyName: 'jobId', leaseDurationMs: LEASE_MS },
  );
}

function acquired(t: ExecutionContext, result: AcquireResult): Lease {
  if (result.kind !== 'acquired') t.fail(`expected acquired, got ${result.kind}`);
  return (result as { lease: Lease }).lease;
}

test('an acquire whose answer was lost is retried by the ledger and recognised as its own lease, not busy', async (t) => {
  const aws = await useIsolatedAws(t);
  const { client, sent } = droppingAnswers(aws.clients.documentClient, 1);
  const ledger = ledgerOn(aws, client);
  const key = randomUUID();

  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  t.deepEqual(sent, ['UpdateCommand', 'UpdateCommand'], 'the first answer was dropped, the retry sent');
  t.is(lease.version, 1, 'the retry did not take the lease a second time');
  t.is(lease.attempts, 1, 'one acquisition, counted once');
  // The lease works: renew and complete are accepted under it.
  const renewed = await ledger.renew(lease);
  t.is((await ledger.complete(renewed, { s3Uri: 's3://b/k' })).status, 'COMPLETED');
});

test('a second delivery of the same key in the same process (same owner, new token) still gets busy', async (t) => {
  const aws = await useIsolatedAws(t);
  const ledger = ledgerOn(aws, aws.clients.documentClient);
  const key = randomUUID();
  acquired(t, await ledger.acquire(key, 'worker-a'));
  const second = await ledger.acquire(key, 'worker-a');
  t.is(second.kind, 'busy');
});

test("the SDK's own retry after a lost answer (ECONNRESET once the write applied) is recognised too", async (t) => {
  const aws = await useIsolatedAws(t);
  const clients = createAwsClients(aws.env);
  t.teardown(() => clients.destroy());
  let dropped = 0;
  // Inside the SDK's retry loop (deserialize runs per attempt): the response arrived, then the
  // connection "died", so the SDK itself re-sends the same UpdateItem.
  clients.documentClient.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (
        dropped === 0 &&
        (args.input as { UpdateExpression?: string }).UpdateExpression?.includes('leaseToken')
      ) {
        dropped += 1;
        throw connectionReset();
      }
      return result;
    },
    { step: 'deserialize', name: 'dropFirstAcquireAnswer' },
  );
  const ledger = ledgerOn(aws, clients.documentClient);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  t.is(dropped, 1, 'one answer was dropped');
  t.is(lease.version, 1);
  t.is((await ledger.get(key))?.leaseOwner, 'worker-a');
});

test('every answer lost: the retry meets its own applied write (a refused condition carries the item) and takes it as its own', async (t) => {
  const aws = await useIsolatedAws(t);
  const { client, sent } = droppingAnswers(aws.clients.documentClient, 10);
  const ledger = ledgerOn(aws, client);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  t.is(sent.length, 2, 'the retry was refused by the condition, with ALL_OLD showing our token');
  t.is(lease.version, 1);
});

test('an acquire that never reaches DynamoDB is retried twice, then the error surfaces; nothing is written', async (t) => {
  const aws = await useIsolatedAws(t);
  let sends = 0;
  const unreachable: Pick<DynamoDBDocumentClient, 'send'> = {
    send: (() => {
      sends += 1;
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    }) as DynamoDBDocumentClient['send'],
  };
  const key = randomUUID();
  await t.throwsAsync(ledgerOn(aws, unreachable).acquire(key, 'worker-a'), { message: /ECONNREFUSED/ });
  t.is(sends, 3, 'the first try and the two default retries');
  t.is(await ledgerOn(aws, aws.clients.documentClient).get(key), undefined);
});

test('update: fenced SET/REMOVE of service fields, no version bump; a stale lease or a ledger field is refused', async (t) => {
  const aws = await useIsolatedAws(t);
  const ledger = ledgerOn(aws, aws.clients.documentClient);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  const updated = await ledger.update(lease, { set: { inFlight: { attempt: 1 }, attemptLog: [1] } });
  t.deepEqual(updated.attributes.inFlight, { attempt: 1 });
  t.is(updated.version, lease.version, 'a service field is not a new lease');
  const removed = await ledger.update(lease, { remove: ['inFlight'] });
  t.is(removed.attributes.inFlight, undefined);
  t.deepEqual(removed.attributes.attemptLog, [1]);

  const renewed = await ledger.renew(lease);
  const stale = await t.throwsAsync(ledger.update(lease, { set: { x: 1 } }), { instanceOf: LeaseLostError });
  t.is(stale?.reason, 'taken-over');
  await t.throwsAsync(ledger.update(renewed, { set: { version: 9 } }), { message: /owned by the ledger/ });
  await t.throwsAsync(ledger.update(renewed, { remove: ['leaseOwner'] }), { message: /owned by the ledger/ });
  t.is((await ledger.get(key))?.attributes.x, undefined);
});

test('fail counts failures (what the retry limit reads) and stores service fields in the same write', async (t) => {
  const aws = await useIsolatedAws(t);
  const ledger = ledgerOn(aws, aws.clients.documentClient);
  const key = randomUUID();
  const first = acquired(t, await ledger.acquire(key, 'worker-a'));
  await ledger.update(first, { set: { inFlight: 'x' } });
  const failed = await ledger.fail(first, {
    error: new TransientError('S3_SLOW', 'slow'),
    set: { attemptLog: ['a'] },
    remove: ['inFlight'],
  });
  t.is(failed.failures, 1);
  t.deepEqual(failed.attributes, { attemptLog: ['a'] });
  const second = acquired(t, await ledger.acquire(key, 'worker-b'));
  t.is(second.failures, 1, 'the count survives the next acquire');
  // A released lease (shutdown) is not a failure.
  const released = await ledger.release(second);
  t.is(released.failures, 1);
  const third = acquired(t, await ledger.acquire(key, 'worker-c'));
  t.is(third.attempts, 3);
  t.is((await ledger.fail(third, { error: new TransientError('S3_SLOW', 'slow') })).failures, 2);
});

test('the local monotonic deadline: once less than the safety margin is left, writes are refused before any request', async (t) => {
  const aws = await useIsolatedAws(t);
  const { client, sent } = droppingAnswers(aws.clients.documentClient, 0);
  let now = 1_000;
  const ledger = ledgerOn(aws, client, () => now);
  const { clockSkewAllowanceMs, safetyMarginMs } = ledger.options;
  t.is(clockSkewAllowanceMs, 1_000, 'default: min(1 s, lease / 10)');
  t.is(safetyMarginMs, 1_000);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  t.is(lease.localDeadline, 1_000 + LEASE_MS - clockSkewAllowanceMs, 'measured from before the request');
  t.is(ledger.remainingMs(lease), LEASE_MS - clockSkewAllowanceMs);

  // A pause: the wall clock (and so DynamoDB's view) may say nothing yet; our own clock ran.
  now += LEASE_MS - clockSkewAllowanceMs - safetyMarginMs;
  const error = t.throws(() => ledger.assertLive(lease, 'the upload'), { instanceOf: LeaseLostError });
  t.is(error?.reason, 'deadline');
  const before = sent.length;
  for (const write of [
    () => ledger.renew(lease),
    () => ledger.update(lease, { set: { a: 1 } }),
    () => ledger.complete(lease),
    () => ledger.fail(lease, { error: new Error('x') }),
  ]) {
    const refused = await t.throwsAsync(write(), { instanceOf: LeaseLostError });
    t.is(refused?.reason, 'deadline');
  }
  t.is(sent.length, before, 'no request left the process');
  t.is((await ledger.get(key))?.status, 'PROCESSING', 'nothing was written');
});

test('a renewal moves the local deadline: measured from just before the renew was sent', async (t) => {
  const aws = await useIsolatedAws(t);
  let now = 0;
  const ledger = ledgerOn(aws, aws.clients.documentClient, () => now);
  const lease = acquired(t, await ledger.acquire(randomUUID(), 'worker-a'));
  now += 10_000;
  const renewed = await ledger.renew(lease);
  t.is(renewed.localDeadline, 10_000 + LEASE_MS - ledger.options.clockSkewAllowanceMs);
  t.notThrows(() => ledger.assertLive(renewed, 'the upload'));
});

test('options: skew + margin above half the lease are refused, naming both', (t) => {
  const error = t.throws(() =>
    createLeaseLedger(
      { ddb: { send: () => Promise.reject(new Error('unused')) } as Pick<DynamoDBDocumentClient, 'send'> },
      {
        tableName: 't',
        keyName: 'k',
        leaseDurationMs: 4_000,
        clockSkewAllowanceMs: 1_500,
        safetyMarginMs: 1_000,
      },
    ),
  );
  t.regex(
    error?.message ?? '',
    /clockSkewAllowanceMs \+ safetyMarginMs must be at most half of leaseDurationMs \(4000\)/,
  );
});
