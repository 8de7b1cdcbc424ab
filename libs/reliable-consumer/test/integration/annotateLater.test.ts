import { randomUUID } from 'node:crypto';
import { createAwsClients } from '@platform/aws-resources';
import { startRequestCounter, useIsolatedAws, type RequestCounter } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createLeaseLedger, type LeaseLedger } from '../../src/index.ts';

/**
 * annotateLater against DynamoDB Local, through the testkit's request counter so the calls can be
 * counted and faults injected. A long linger gathers every annotation the test queues in one tick;
 * no test depends on when the timer fires (each awaits outcomes or a flush).
 */
async function setup(t: ExecutionContext, annotationLingerMs = 1_000) {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.dynamodb });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: counter.endpoint });
  t.teardown(async () => {
    clients.destroy();
    await counter.close();
  });
  const ledger = createLeaseLedger(
    { ddb: clients.documentClient },
    { tableName: aws.tables.imageJobs, keyName: 'jobId', leaseDurationMs: 30_000, annotationLingerMs },
  );
  return { ledger, counter };
}

/** A COMPLETED record carrying a marker, as the image worker leaves one before its event is out. */
async function completedWithMarker(t: ExecutionContext, ledger: LeaseLedger): Promise<string> {
  const key = randomUUID();
  const acquired = await ledger.acquire(key, 'worker-a');
  if (acquired.kind !== 'acquired') return t.fail(`expected acquired, got ${acquired.kind}`);
  await ledger.complete(acquired.lease, { eventPending: true });
  return key;
}

const calls = (counter: RequestCounter, operation: string) =>
  counter.count({ service: 'dynamodb', operation });

test('annotations of several records queued together go out in one TransactWriteItems', async (t) => {
  const { ledger, counter } = await setup(t);
  const keys = await Promise.all(Array.from({ length: 5 }, () => completedWithMarker(t, ledger)));
  const updatesBefore = calls(counter, 'UpdateItem');

  const outcomes = await Promise.all(
    keys.map((key) => ledger.annotateLater(key, 'COMPLETED', { remove: ['eventPending'] })),
  );

  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['applied', 'applied', 'applied', 'applied', 'applied'],
  );
  t.is(calls(counter, 'TransactWriteItems'), 1);
  t.is(calls(counter, 'UpdateItem'), updatesBefore, 'no single update on the side');
  for (const key of keys) t.is((await ledger.get(key))?.attributes.eventPending, undefined, key);
});

test('a record not in the status asked for is refused alone; the rest of its batch is applied', async (t) => {
  const { ledger, counter } = await setup(t);
  const done = await Promise.all([completedWithMarker(t, ledger), completedWithMarker(t, ledger)]);
  const running = randomUUID();
  t.is((await ledger.acquire(running, 'worker-a')).kind, 'acquired');

  const [first, refused, second] = await Promise.all([
    ledger.annotateLater(done[0], 'COMPLETED', { remove: ['eventPending'] }),
    ledger.annotateLater(running, 'COMPLETED', { set: { note: 'must not land' } }),
    ledger.annotateLater(done[1], 'COMPLETED', { remove: ['eventPending'] }),
  ]);

  t.is(first.kind, 'applied');
  t.is(refused.kind, 'not-in-status');
  t.is(second.kind, 'applied');
  // The cancelled transaction, then the two others again.
  t.is(calls(counter, 'TransactWriteItems'), 2);
  const stillRunning = await ledger.get(running);
  t.is(stillRunning?.status, 'PROCESSING');
  t.is(stillRunning?.attributes.note, undefined);
  for (const key of done) t.is((await ledger.get(key))?.attributes.eventPending, undefined);
});

test('a lone annotation is a plain UpdateItem (a transaction of one would cost twice the write units)', async (t) => {
  const { ledger, counter } = await setup(t);
  const key = await completedWithMarker(t, ledger);
  const updatesBefore = calls(counter, 'UpdateItem');

  const outcome = await ledger.annotateLater(key, 'COMPLETED', { remove: ['eventPending'] });

  t.is(outcome.kind, 'applied');
  t.is(calls(counter, 'UpdateItem'), updatesBefore + 1);
  t.is(calls(counter, 'TransactWriteItems'), 0);
  t.is((await ledger.get(key))?.attributes.eventPending, undefined);
  t.is((await ledger.annotateLater(randomUUID(), 'COMPLETED', { set: { note: 'x' } })).kind, 'not-in-status');
});

test('two annotations of one record never share a transaction; both are applied', async (t) => {
  const { ledger } = await setup(t);
  const [a, b] = await Promise.all([completedWithMarker(t, ledger), completedWithMarker(t, ledger)]);

  const outcomes = await Promise.all([
    ledger.annotateLater(a, 'COMPLETED', { set: { first: 1 } }),
    ledger.annotateLater(a, 'COMPLETED', { set: { second: 2 } }),
    ledger.annotateLater(b, 'COMPLETED', { remove: ['eventPending'] }),
  ]);

  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['applied', 'applied', 'applied'],
  );
  t.like((await ledger.get(a))?.attributes, { first: 1, second: 2, eventPending: true });
  t.is((await ledger.get(b))?.attributes.eventPending, undefined);
});

test('flushAnnotations sends what is queued and settles it (shutdown)', async (t) => {
  const { ledger, counter } = await setup(t);
  const keys = await Promise.all([completedWithMarker(t, ledger), completedWithMarker(t, ledger)]);
  let settled = 0;
  for (const key of keys)
    void ledger.annotateLater(key, 'COMPLETED', { remove: ['eventPending'] }).then(() => (settled += 1));

  await ledger.flushAnnotations();

  t.is(settled, 2);
  t.is(calls(counter, 'TransactWriteItems'), 1);
  for (const key of keys) t.is((await ledger.get(key))?.attributes.eventPending, undefined);
});

test('a response lost after the transaction took effect: the SDK retry applies it again, harmlessly', async (t) => {
  const { ledger, counter } = await setup(t);
  const keys = await Promise.all([completedWithMarker(t, ledger), completedWithMarker(t, ledger)]);
  counter.addFault({ match: { operation: 'TransactWriteItems' }, drop: 'after-forward', times: 1 });

  const outcomes = await Promise.all(
    keys.map((key) => ledger.annotateLater(key, 'COMPLETED', { remove: ['eventPending'] })),
  );

  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['applied', 'applied'],
  );
  t.is(calls(counter, 'TransactWriteItems'), 2);
  for (const key of keys) t.is((await ledger.get(key))?.attributes.eventPending, undefined);
});

test('DynamoDB failing every try: each annotation reports failed, none rejects, the records are unchanged', async (t) => {
  const { ledger, counter } = await setup(t);
  const keys = await Promise.all([completedWithMarker(t, ledger), completedWithMarker(t, ledger)]);
  counter.addFault({ match: { operation: 'TransactWriteItems' }, status: 500 });

  const outcomes = await Promise.all(
    keys.map((key) => ledger.annotateLater(key, 'COMPLETED', { remove: ['eventPending'] })),
  );

  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['failed', 'failed'],
  );
  t.true(calls(counter, 'TransactWriteItems') >= 2, 'the SDK retried before giving up');
  for (const key of keys) t.is((await ledger.get(key))?.attributes.eventPending, true);
});

test('an invalid linger stops the ledger from being created, naming the option', (t) => {
  for (const annotationLingerMs of [-1, 1.5, 1_001]) {
    const error = t.throws(() =>
      createLeaseLedger(
        { ddb: { send: async () => ({}) } },
        { tableName: 't', keyName: 'k', leaseDurationMs: 30_000, annotationLingerMs },
      ),
    );
    t.regex(error?.message ?? '', /annotationLingerMs/);
  }
});
