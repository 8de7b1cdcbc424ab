import { randomUUID } from 'node:crypto';
import { PermanentError, TransientError } from '@platform/errors';
import { useIsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createLeaseLedger, LeaseLostError, type AcquireResult, type Lease } from '../../src/index.ts';

const LEASE_MS = 30_000;

/** A ledger on this test's own image-jobs table, with a clock the test moves by hand. */
async function setup(t: ExecutionContext, retentionMs?: number) {
  const aws = await useIsolatedAws(t);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  const ledger = createLeaseLedger(
    { ddb: aws.clients.documentClient, clock: clock.now },
    {
      tableName: aws.tables.imageJobs,
      keyName: 'jobId',
      leaseDurationMs: LEASE_MS,
      retentionMs,
      ttlAttribute: 'expiresAt',
    },
  );
  return { aws, ledger, clock };
}

function acquired(t: ExecutionContext, result: AcquireResult): Lease {
  if (result.kind !== 'acquired') t.fail(`expected acquired, got ${result.kind}`);
  return (result as { lease: Lease }).lease;
}

test('20 concurrent acquires of one key: exactly one wins, the rest see it busy', async (t) => {
  const { ledger } = await setup(t);
  const key = randomUUID();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      ledger.acquire(key, `worker-${i}`, { attributes: { template: 'card' } }),
    ),
  );
  const winners = results.filter((r) => r.kind === 'acquired');
  t.is(winners.length, 1);
  const busy = results.filter((r) => r.kind === 'busy');
  t.is(busy.length, 19);
  for (const r of busy) if (r.kind === 'busy') t.is(r.msUntilExpiry, LEASE_MS);
  const record = await ledger.get(key);
  t.is(record?.status, 'PROCESSING');
  t.is(record?.version, 1);
  t.is(record?.attempts, 1);
  t.is(record?.attributes.template, 'card');
});

test('an expired lease is taken over; the stale owner can no longer renew, complete or fail', async (t) => {
  const { ledger, clock } = await setup(t);
  const key = randomUUID();
  const stale = acquired(t, await ledger.acquire(key, 'worker-a'));

  clock.advance(LEASE_MS - 1);
  t.is((await ledger.acquire(key, 'worker-b')).kind, 'busy', 'a live lease is not taken');
  clock.advance(2);
  const fresh = acquired(t, await ledger.acquire(key, 'worker-b'));
  t.is(fresh.version, stale.version + 1);
  t.is(fresh.attempts, 2);

  const renewError = await t.throwsAsync(ledger.renew(stale), { instanceOf: LeaseLostError });
  t.is(renewError?.reason, 'taken-over');
  t.true(renewError instanceof TransientError, 'lease loss is retryable at the message level');
  await t.throwsAsync(ledger.complete(stale, { s3Uri: 's3://x/y' }), { instanceOf: LeaseLostError });
  await t.throwsAsync(ledger.fail(stale, { error: new Error('boom') }), { instanceOf: LeaseLostError });
  await t.throwsAsync(ledger.release(stale), { instanceOf: LeaseLostError });

  const record = await ledger.get(key);
  t.is(record?.leaseOwner, 'worker-b');
  t.is(record?.status, 'PROCESSING');
  t.is(record?.attributes.s3Uri, undefined, 'the stale completion wrote nothing');
});

test('renew extends the lease and bumps the fencing version; the old version is dead', async (t) => {
  const { ledger, clock } = await setup(t);
  const key = randomUUID();
  const first = acquired(t, await ledger.acquire(key, 'worker-a'));
  clock.advance(LEASE_MS / 2);
  const renewed = await ledger.renew(first);
  t.is(renewed.version, first.version + 1);
  t.is(renewed.expiresAt, clock.now() + LEASE_MS);
  // Past the first expiry, within the renewed one: still ours, nobody else can take it.
  clock.advance(LEASE_MS / 2 + 1);
  t.is((await ledger.acquire(key, 'worker-b')).kind, 'busy');
  await t.throwsAsync(
    ledger.complete(first),
    { instanceOf: LeaseLostError },
    'the pre-renew version is fenced off',
  );
  const record = await ledger.complete(renewed, { sha256: 'abc' });
  t.is(record.status, 'COMPLETED');
});

test('a lease that expired without takeover cannot be renewed or completed (expiry checked on every write)', async (t) => {
  const { ledger, clock } = await setup(t);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  clock.advance(LEASE_MS + 1);
  const error = await t.throwsAsync(ledger.renew(lease), { instanceOf: LeaseLostError });
  t.is(error?.reason, 'expired');
  await t.throwsAsync(ledger.complete(lease), { instanceOf: LeaseLostError });
});

test('completed: later acquires answer completed with the stored record and a GC-only TTL', async (t) => {
  const { ledger, clock, aws } = await setup(t, 7 * 24 * 3600 * 1000);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  const done = await ledger.complete(lease, { s3Uri: `s3://bucket/${key}.png`, bytes: 123 });
  t.is(done.status, 'COMPLETED');
  t.is(done.completedAt, clock.now());
  t.is(done.leaseExpiresAt, undefined);

  const again = await ledger.acquire(key, 'worker-b');
  t.is(again.kind, 'completed');
  if (again.kind === 'completed') t.is(again.record.attributes.s3Uri, `s3://bucket/${key}.png`);
  // Completing twice (an SDK retry after a lost response) is recognised as our own write.
  t.is((await ledger.complete(lease)).status, 'COMPLETED');

  const raw = await aws.clients.documentClient.send(
    new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
      TableName: aws.tables.imageJobs,
      Key: { jobId: key },
    }),
  );
  t.is(raw.Item?.expiresAt, Math.ceil((clock.now() + 7 * 24 * 3600 * 1000) / 1000), 'TTL in epoch seconds');
});

test('retryable failure is re-acquirable; permanent failure answers failed', async (t) => {
  const { ledger } = await setup(t);
  const retryKey = randomUUID();
  const first = acquired(t, await ledger.acquire(retryKey, 'worker-a'));
  const failed = await ledger.fail(first, { error: new TransientError('S3_SLOW', 'S3 timed out') });
  t.deepEqual(failed.lastError, { code: 'S3_SLOW', message: 'S3 timed out', retryable: true });
  const second = acquired(t, await ledger.acquire(retryKey, 'worker-b'));
  t.is(second.attempts, 2);
  t.is(second.record.lastError?.code, 'S3_SLOW', 'the last error stays visible while retrying');

  const permanentKey = randomUUID();
  const lease = acquired(t, await ledger.acquire(permanentKey, 'worker-a'));
  await ledger.fail(lease, { error: new PermanentError('TEMPLATE_UNKNOWN', 'no such template') });
  const result = await ledger.acquire(permanentKey, 'worker-b');
  t.is(result.kind, 'failed');
  if (result.kind === 'failed') t.is(result.record.lastError?.retryable, false);
});

test('release puts the record back to PENDING with no lease, so the next delivery acquires at once', async (t) => {
  const { ledger } = await setup(t);
  const key = randomUUID();
  const lease = acquired(t, await ledger.acquire(key, 'worker-a'));
  const released = await ledger.release(lease);
  t.is(released.status, 'PENDING');
  t.is(released.leaseOwner, undefined);
  const next = acquired(t, await ledger.acquire(key, 'worker-b'));
  t.is(next.version, lease.version + 1);
});

test('caller attributes cannot overwrite ledger-owned fields', async (t) => {
  const { ledger } = await setup(t);
  await t.throwsAsync(ledger.acquire(randomUUID(), 'w', { attributes: { version: 99 } }), {
    message: /version/,
  });
});
