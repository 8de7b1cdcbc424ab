// withLease's lifecycle and its one failure policy, unit-tested on an in-memory FAKE ledger (no
// DynamoDB): each case in Prepare / Act / Assess order, and each asserts which writes were (not) sent.
import { PermanentError, TransientError } from '@platform/errors';
import test from 'ava';
import {
  HandlerAbortedError,
  LeaseLostError,
  withLease,
  type LeaseContext,
  type LeaseEvent,
  type LeasePolicy,
} from '../../src/index.ts';
import { createInMemoryLedger } from '../fakes/inMemoryLedger.ts';
import { logger } from '../helpers/consumer.ts';

const POLICY: LeasePolicy = { maxAttempts: 3, maxReceiveCount: 10 };

function context(receiveCount = 1) {
  const controller = new AbortController();
  const hooks: Array<() => Promise<void>> = [];
  const ctx: LeaseContext = {
    signal: controller.signal,
    receiveCount,
    log: logger,
    onHeartbeat: (fn) => void hooks.push(fn),
  };
  /** One heartbeat, as the consumer runs it: a failing hook aborts the handler. */
  const beat = async () => {
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        controller.abort(new HandlerAbortedError('heartbeat-failed', 'hook failed', error));
      }
    }
  };
  return { ctx, controller, beat };
}

function setup(receiveCount = 1, policy = POLICY) {
  const ledger = createInMemoryLedger();
  const { ctx, controller, beat } = context(receiveCount);
  const events: LeaseEvent[] = [];
  const run = (work: Parameters<typeof withLease>[3], extra: Partial<Parameters<typeof withLease>[2]> = {}) =>
    withLease(ctx, ledger, { key: 'k', owner: 'me', policy, observe: (e) => events.push(e), ...extra }, work);
  const writes = () => ledger.calls.filter((c) => c !== 'acquire' && c !== 'get');
  return { ledger, ctx, controller, beat, events, run, writes };
}

test('completed: COMPLETED with the attributes, then `after` maps it (default ack)', async (t) => {
  const { ledger, run, writes } = setup();
  const outcome = await run(async () => ({
    kind: 'completed',
    attributes: { s3Uri: 's3://b/k' },
    after: async (record) => {
      t.is(record.status, 'COMPLETED');
      return { kind: 'ack' };
    },
  }));
  t.deepEqual(outcome, { kind: 'ack' });
  t.deepEqual(writes(), ['complete']);
  t.is(ledger.records.get('k')?.attributes.s3Uri, 's3://b/k');
});

test('a transient failure: FAILED retryable, failures + 1, retry; not a give-up below maxAttempts', async (t) => {
  const { ledger, run, writes, events } = setup();
  const outcome = await run(async () => {
    throw new TransientError('S3_SLOW', 'slow');
  });
  t.deepEqual(outcome, { kind: 'retry', reason: 'S3_SLOW' });
  t.deepEqual(writes(), ['fail']);
  t.like(ledger.records.get('k'), {
    status: 'FAILED',
    failures: 1,
    lastError: { code: 'S3_SLOW', retryable: true },
  });
  t.true(events.some((e) => e.kind === 'retrying'));
});

test('the maxAttempts-th failure gives up: FAILED ATTEMPTS_EXHAUSTED (not retryable by default) and dead-letter', async (t) => {
  const { ledger, run } = setup();
  for (let i = 0; i < 2; i++)
    await run(async () => ({ kind: 'failed', error: new TransientError('X', 'x'), retryable: true }));
  const outcome = await run(async () => ({
    kind: 'failed',
    error: new TransientError('X', 'x'),
    retryable: true,
  }));
  t.like(outcome, { kind: 'dead-letter', reason: 'ATTEMPTS_EXHAUSTED' });
  t.like(ledger.records.get('k'), { status: 'FAILED', failures: 3, attempts: 3 });
  t.like(ledger.records.get('k')?.lastError, { code: 'ATTEMPTS_EXHAUSTED', retryable: false });
  t.regex(ledger.records.get('k')?.lastError?.message ?? '', /3 failed attempt\(s\) \(limit 3\); last: X: x/);
  // A later delivery sees `failed` and never runs the work again.
  let ran = false;
  const later = await run(async () => {
    ran = true;
    return { kind: 'completed' };
  });
  t.false(ran);
  t.like(later, { kind: 'dead-letter', reason: 'ATTEMPTS_EXHAUSTED' });
});

test('exhaustedRetryable keeps a given-up key acquirable (a DLQ redrive runs it again)', async (t) => {
  const { ledger, run } = setup(1, { ...POLICY, maxAttempts: 1, exhaustedRetryable: true });
  await run(async () => ({ kind: 'failed', error: new TransientError('X', 'x'), retryable: true }));
  t.like(ledger.records.get('k')?.lastError, { code: 'ATTEMPTS_EXHAUSTED', retryable: true });
  t.deepEqual(await run(async () => ({ kind: 'completed' })), { kind: 'ack' });
});

test("the queue's last receive never ends in a retry: RECEIVES_EXHAUSTED in the ledger, then onExhausted", async (t) => {
  const { ledger, run } = setup(10);
  const outcome = await run(
    async () => {
      throw new TransientError('X', 'x');
    },
    { onExhausted: async (record, reason) => ({ kind: 'dead-letter', reason, detail: record.status }) },
  );
  t.deepEqual(outcome, { kind: 'dead-letter', reason: 'RECEIVES_EXHAUSTED', detail: 'FAILED' });
  t.like(ledger.records.get('k')?.lastError, { code: 'RECEIVES_EXHAUSTED' });
});

test('a permanent failure: FAILED not retryable, service fields in the same write, dead-letter by default', async (t) => {
  const { ledger, run, writes } = setup();
  const outcome = await run(async () => ({
    kind: 'failed',
    error: new PermanentError('BAD', 'never'),
    retryable: false,
    set: { finalFailure: 'BAD' },
    remove: ['inFlight'],
  }));
  t.deepEqual(outcome, { kind: 'dead-letter', reason: 'BAD', detail: 'never' });
  t.deepEqual(writes(), ['fail']);
  t.like(ledger.records.get('k'), { status: 'FAILED', attributes: { finalFailure: 'BAD' } });
});

test('lease lost on a heartbeat: no write of any kind afterwards, the error reaches the consumer', async (t) => {
  const { ledger, run, writes, beat, controller } = setup();
  const error = await t.throwsAsync(
    run(async (held) => {
      // Another worker takes over (our lease ran out by its clock), then our renewal is refused.
      ledger.records.get('k')!.leaseOwner = 'usurper';
      await beat();
      t.true(controller.signal.aborted);
      held.assertLive('the upload');
      return { kind: 'completed' };
    }),
  );
  t.true(error instanceof HandlerAbortedError);
  t.deepEqual(writes(), ['renew'], 'no complete, no fail, no release');
  t.is(ledger.records.get('k')?.leaseOwner, 'usurper');
});

test('shutdown abort while the lease is ours: released (PENDING), not counted as a failure', async (t) => {
  const { ledger, run, writes, controller } = setup();
  await t.throwsAsync(
    run(async (held) => {
      controller.abort(new HandlerAbortedError('shutdown', 'stopping'));
      held.assertLive('the upload');
      return { kind: 'completed' };
    }),
    { instanceOf: HandlerAbortedError },
  );
  t.deepEqual(writes(), ['release']);
  t.like(ledger.records.get('k'), { status: 'PENDING', failures: 0 });
});

test('shutdown abort on the last receive: FAILED RECEIVES_EXHAUSTED (retryable) instead of a release', async (t) => {
  const { ledger, run, controller } = setup(10);
  await t.throwsAsync(
    run(async () => {
      controller.abort(new HandlerAbortedError('shutdown', 'stopping'));
      throw controller.signal.reason;
    }),
  );
  t.like(ledger.records.get('k')?.lastError, { code: 'RECEIVES_EXHAUSTED', retryable: true });
});

test('an acquire answer read after the lease ran out locally: the work never starts, nothing is written', async (t) => {
  const { ledger, run, writes } = setup();
  const original = ledger.acquire.bind(ledger);
  ledger.acquire = async (...args) => {
    const result = await original(...args);
    ledger.now += 10_000; // the process was paused between send and read
    return result;
  };
  let ran = false;
  const outcome = await run(async () => {
    ran = true;
    return { kind: 'completed' };
  });
  t.false(ran);
  t.deepEqual(outcome, { kind: 'retry', reason: 'LEASE_LOST' });
  t.deepEqual(writes(), []);
});

test('paused past the local deadline mid-work: assertLive refuses the side effect, no write follows', async (t) => {
  const { ledger, run, writes, events } = setup();
  let uploaded = false;
  const outcome = await run(async (held) => {
    ledger.now += 9_100; // 10 s lease - 0.5 s skew - 0.5 s margin < 9.1 s
    held.assertLive('the upload');
    uploaded = true;
    return { kind: 'completed' };
  });
  t.false(uploaded);
  t.deepEqual(outcome, { kind: 'retry', reason: 'LEASE_LOST' });
  t.deepEqual(writes(), []);
  const lost = events.find((e) => e.kind === 'lease-lost');
  t.true(
    lost?.kind === 'lease-lost' && lost.error instanceof LeaseLostError && lost.error.reason === 'deadline',
  );
});

test('a renewal in flight when the work ends: the final write waits for it and carries the renewed version', async (t) => {
  const { ledger, run, beat } = setup();
  let open!: () => void;
  ledger.renewGate = new Promise((resolve) => (open = resolve));
  const renew = ledger.renew.bind(ledger);
  const order: string[] = [];
  ledger.renew = async (lease, call) => {
    const renewed = await renew(lease, call);
    order.push(`renewed to v${renewed.version}`);
    return renewed;
  };
  const complete = ledger.complete.bind(ledger);
  ledger.complete = async (lease, attributes, call) => {
    order.push(`complete with v${lease.version}`);
    return complete(lease, attributes, call);
  };
  const outcome = await run(async () => {
    void beat(); // the renewal's "request" is now in flight, held at the gate
    // The gate opens on a later turn; unserialised, complete would have been sent before it.
    setImmediate(open);
    return { kind: 'completed' };
  });
  t.deepEqual(outcome, { kind: 'ack' });
  t.deepEqual(order, ['renewed to v2', 'complete with v2']);
  t.is(ledger.records.get('k')?.status, 'COMPLETED');
});

test('fenced update goes through the same queue and is refused once the lease is lost', async (t) => {
  const { ledger, run } = setup();
  await run(async (held) => {
    await held.update({ set: { inFlight: 1 } });
    t.is(ledger.records.get('k')?.attributes.inFlight, 1);
    ledger.records.get('k')!.version += 5;
    await t.throwsAsync(held.update({ set: { inFlight: 2 } }), { instanceOf: LeaseLostError });
    return { kind: 'completed' };
  });
  t.is(ledger.records.get('k')?.attributes.inFlight, 1);
});

test('busy: deferred until the other lease would run out (never a failure); duplicates and verdicts map through hooks', async (t) => {
  const { ledger, run } = setup();
  ledger.records.set('k', {
    ...(await seed(ledger)),
    leaseOwner: 'other',
    leaseExpiresAt: ledger.now + 2_400,
  });
  t.deepEqual(await run(async () => ({ kind: 'completed' })), { kind: 'defer', delaySeconds: 3 });
  t.is(ledger.records.get('k')?.failures, 0);

  ledger.records.get('k')!.status = 'COMPLETED';
  t.deepEqual(
    await run(async () => ({ kind: 'completed' }), { onCompleted: async () => ({ kind: 'ack' }) }),
    {
      kind: 'ack',
    },
  );
});

test('busy on the last receive: waits for the other lease instead of deferring, then runs', async (t) => {
  const { ledger, run } = setup(10);
  ledger.records.set('k', { ...(await seed(ledger)), leaseOwner: 'other', leaseExpiresAt: ledger.now + 30 });
  const expire = setTimeout(() => (ledger.now += 1_000), 10);
  t.teardown(() => clearTimeout(expire));
  t.deepEqual(await run(async () => ({ kind: 'completed' })), { kind: 'ack' });
  t.is(ledger.records.get('k')?.leaseOwner, 'me');
});

async function seed(ledger: ReturnType<typeof createInMemoryLedger>) {
  const result = await ledger.acquire('k', 'seed');
  if (result.kind !== 'acquired') throw new Error('seed failed');
  ledger.calls.length = 0;
  return result.lease.record;
}
