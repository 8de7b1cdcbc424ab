// Full receives (a held prefetch) and batched deletes, on the in-memory SQS FAKE: the fake records
// every call, so the tests can assert on call counts and batch sizes, and can fail chosen entries of
// a DeleteMessageBatch (partial failure), which fauxqs cannot. The same paths run against fauxqs in
// integration/prefetch.test.ts.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeMessage } from '@platform/contracts';
import { waitFor } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createDeleteBatcher, BatchEntryError } from '../../src/consumer/deleteBatcher.ts';
import { createReliableConsumer, type ReliableConsumerOptions } from '../../src/index.ts';
import { OutcomeSpy } from '../../src/testing/index.ts';
import { createInMemorySqs } from '../fakes/inMemorySqs.ts';
import { gate, jobPayload, logger } from '../helpers/consumer.ts';
import { QUEUE, fakeQueueOptions } from '../helpers/fakeConsumer.ts';

function setup(
  t: ExecutionContext,
  options: Partial<ReliableConsumerOptions<'image.job.requested'>> &
    Pick<ReliableConsumerOptions<'image.job.requested'>, 'handler'>,
  clock?: () => number,
) {
  const fake = createInMemorySqs();
  const spy = new OutcomeSpy({ timeoutMs: 10_000 });
  const consumer = createReliableConsumer(
    { sqs: fake.sqs, logger, random: () => 0, ...(clock === undefined ? {} : { clock }) },
    {
      ...fakeQueueOptions(spy),
      ...options,
    },
  );
  t.teardown(() => consumer.stop({ timeoutMs: 0 }));
  const submit = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const jobId = `job-${i}`;
      await fake.sqs.send(
        new SendMessageCommand({
          QueueUrl: QUEUE,
          ...encodeMessage('image.job.requested', jobPayload(jobId)),
        }),
      );
      ids.push(jobId);
    }
    return ids;
  };
  return { ...fake, spy, consumer, submit };
}

test('a full receive: 10 messages in one ReceiveMessage, 2 run and 8 are held, then all run in order and are acked', async (t) => {
  const release = gate();
  const started: string[] = [];
  const { consumer, submit, spy, callsOf, messages } = setup(t, {
    concurrency: 2,
    prefetch: 8,
    deleteLingerMs: 100,
    handler: async (ctx) => {
      started.push(ctx.payload.jobId);
      await release.promise;
      return { kind: 'ack' };
    },
  });
  const ids = await submit(10);
  consumer.start();
  await waitFor(() => consumer.held === 8 && consumer.inFlight === 2, { description: '2 running, 8 held' });
  const receives = callsOf('ReceiveMessage');
  t.is(receives.length, 1, 'one receive while messages are held');
  t.is(receives[0]?.input.MaxNumberOfMessages, 10, 'asked for free slots + prefetch');
  t.deepEqual(started, ['job-0', 'job-1']);

  release.open();
  await Promise.all(ids.map((jobId) => spy.waitFor({ bindings: { jobId } }, 'ack')));
  t.deepEqual(started, ids, 'held messages ran in arrival order');
  t.true(spy.events().every((e) => e.kind === 'ack' && e.settleError === undefined && e.receiveCount === 1));
  await waitFor(() => messages(QUEUE).length === 0, { description: 'every message deleted' });
  t.is(callsOf('DeleteMessage').length, 0, 'acks never use a single DeleteMessage with a linger');
  const deleteBatches = callsOf('DeleteMessageBatch');
  t.true(deleteBatches.length < 10, `deletes were batched (${deleteBatches.length} calls for 10)`);
  const deleted = deleteBatches.reduce((n, c) => n + (c.input.Entries as unknown[]).length, 0);
  t.is(deleted, 10);
});

test('stop(): held messages are released at once (visibility 0, reported released), the running one finishes', async (t) => {
  const release = gate();
  const { consumer, submit, spy, messages, callsOf } = setup(t, {
    concurrency: 1,
    prefetch: 4,
    deleteLingerMs: 50,
    handler: async () => {
      await release.promise;
      return { kind: 'ack' };
    },
  });
  await submit(5);
  consumer.start();
  await waitFor(() => consumer.held === 4, { description: '4 held' });
  const stopped = consumer.stop({ timeoutMs: 5_000 });
  const releasedEvents = await waitFor(
    () => {
      const released = spy.events().filter((e) => e.kind === 'released');
      return released.length === 4 ? released : undefined;
    },
    { description: '4 held messages released' },
  );
  t.true(releasedEvents.every((e) => e.reason === 'STOPPING' && e.settleError === undefined));
  // Visible again now, without waiting out the 30 s visibility; none of them ran.
  const now = Date.now();
  t.is(messages(QUEUE).filter((m) => m.invisibleUntil <= now).length, 4);
  t.is(callsOf('ChangeMessageVisibilityBatch').length, 1, 'one batch call for the 4');
  release.open();
  await stopped;
  // The running one was acked and its lingering delete flushed by stop(): nothing lost, nothing left invisible.
  t.is(spy.events().filter((e) => e.kind === 'ack').length, 1);
  t.is(messages(QUEUE).length, 4);
  t.is(consumer.held, 0);
});

test('held messages are extended while they wait, so they never reappear before they run', async (t) => {
  const release = gate();
  const { consumer, submit, spy, messages, callsOf } = setup(t, {
    concurrency: 1,
    prefetch: 2,
    visibilityTimeoutSeconds: 2,
    heartbeatIntervalSeconds: 1,
    handler: async () => {
      await release.promise;
      return { kind: 'ack' };
    },
  });
  const ids = await submit(3);
  consumer.start();
  await waitFor(() => consumer.held === 2, { description: '2 held' });
  const receivedAt = Date.now();
  // Past the 2 s visibility of the receive: only extensions keep the held ones hidden.
  await waitFor(
    () => Date.now() - receivedAt > 3_000 && callsOf('ChangeMessageVisibilityBatch').length >= 3,
    {
      description: 'three extension rounds, past the first visibility',
      timeoutMs: 10_000,
    },
  );
  const now = Date.now();
  t.true(
    messages(QUEUE).every((m) => m.invisibleUntil > now),
    'every message still invisible',
  );
  release.open();
  await Promise.all(ids.map((jobId) => spy.waitFor({ bindings: { jobId } }, 'ack')));
  t.true(messages(QUEUE).length === 0);
  t.true(
    spy.events().every((e) => e.receiveCount === 1),
    'each received once',
  );
});

test('batched deletes, partial failure: a server-side entry failure is retried, a sender fault is reported on that message only', async (t) => {
  const { consumer, submit, spy, messages, failDeleteEntries, callsOf } = setup(t, {
    concurrency: 4,
    prefetch: 6,
    deleteLingerMs: 100,
    handler: async () => ({ kind: 'ack' }),
  });
  const ids = await submit(4);
  const byJob = new Map(messages(QUEUE).map((m, i) => [m.id, ids[i]]));
  let internalErrors = 0;
  failDeleteEntries((messageId) => {
    const jobId = byJob.get(messageId);
    if (jobId === 'job-1' && internalErrors < 1) {
      internalErrors += 1;
      return { Code: 'InternalError', SenderFault: false };
    }
    if (jobId === 'job-2') return { Code: 'ReceiptHandleIsInvalid', SenderFault: true };
    return undefined;
  });
  consumer.start();
  const events = await Promise.all(ids.map((jobId) => spy.waitFor({ bindings: { jobId } }, 'ack')));
  const [ok0, retried, failed, ok3] = events;
  t.is(ok0?.settleError, undefined);
  t.is(retried?.settleError, undefined, 'the InternalError entry was sent again and deleted');
  t.is(ok3?.settleError, undefined);
  t.true(
    failed?.settleError instanceof BatchEntryError,
    'the failed entry is reported, not counted as deleted',
  );
  t.is((failed?.settleError as BatchEntryError).code, 'ReceiptHandleIsInvalid');
  // Only the failed one is still on the queue (SQS redelivers it; the handler's idempotency absorbs that).
  t.deepEqual(
    messages(QUEUE).map((m) => byJob.get(m.id)),
    ['job-2'],
  );
  t.true(callsOf('DeleteMessageBatch').length >= 2, 'a second batch carried the retried entry');
});

test('delete batcher: 10 entries go at once, the rest after the linger; a failed call rejects each of its entries', async (t) => {
  const sent: number[] = [];
  let failNext = false;
  const sqs = {
    send: (async (command: { input: { Entries: Array<{ Id: string }> } }) => {
      sent.push(command.input.Entries.length);
      if (failNext) throw new Error('connection reset');
      return { Successful: command.input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    }) as unknown as SQSClient['send'],
  };
  const batcher = createDeleteBatcher({
    sqs,
    queueUrl: QUEUE,
    lingerMs: 60_000,
    signal: () => new AbortController().signal,
  });
  const first = Array.from({ length: 12 }, (_, i) => batcher.delete(`r${i}`));
  await Promise.all(first.slice(0, 10));
  t.deepEqual(sent, [10], 'the full batch went without waiting for the linger');
  await batcher.flush();
  await Promise.all(first);
  t.deepEqual(sent, [10, 2], 'flush sent the remainder at once');

  failNext = true;
  const failing = [batcher.delete('a'), batcher.delete('b')];
  await batcher.flush();
  for (const result of await Promise.allSettled(failing)) {
    t.is(result.status, 'rejected');
  }
});

test('delete batcher: an entry SQS never lists as successful is retried, then rejected, never counted as deleted', async (t) => {
  let calls = 0;
  const sqs = {
    // Answers for every entry but receipt `b`, which it leaves out of both lists.
    send: (async (command: { input: { Entries: Array<{ Id: string; ReceiptHandle: string }> } }) => {
      calls += 1;
      return {
        Successful: command.input.Entries.filter((e) => e.ReceiptHandle !== 'b').map((e) => ({ Id: e.Id })),
        Failed: [],
      };
    }) as unknown as SQSClient['send'],
  };
  const batcher = createDeleteBatcher({
    sqs,
    queueUrl: QUEUE,
    lingerMs: 1_000,
    signal: () => new AbortController().signal,
  });
  const pair = [batcher.delete('a'), batcher.delete('b')];
  await batcher.flush();
  const settled = await Promise.allSettled(pair);
  t.is(settled[0]?.status, 'fulfilled');
  t.is(settled[1]?.status, 'rejected');
  t.regex(String((settled[1] as PromiseRejectedResult).reason), /MissingEntryResult/);
  t.is(calls, 3, 'one call with both, then two more tries of the unanswered entry');
});

test('a held message whose visibility lapsed while held (the process was paused) is not run here', async (t) => {
  const release = gate();
  let offsetMs = 0;
  const ran: string[] = [];
  // The consumer's clock; a jump past the visibility stands in for a SIGSTOP past it.
  const clock = () => Date.now() + offsetMs;
  const { consumer, submit, spy } = setup(
    t,
    {
      concurrency: 1,
      prefetch: 2,
      visibilityTimeoutSeconds: 30,
      heartbeatIntervalSeconds: 10,
      handler: async (ctx) => {
        ran.push(ctx.payload.jobId);
        await release.promise;
        return { kind: 'ack' };
      },
    },
    clock,
  );
  await submit(3);
  consumer.start();
  await waitFor(() => consumer.held === 2, { description: '2 held' });
  offsetMs = 31_000;
  release.open();
  const dropped = await waitFor(
    () => {
      const events = spy.events().filter((e) => e.kind === 'abandoned');
      return events.length === 2 ? events : undefined;
    },
    { description: 'both held messages dropped' },
  );
  t.true(dropped.every((e) => e.reason === 'HOLD_VISIBILITY_LAPSED'));
  t.deepEqual(ran, ['job-0'], 'the lapsed ones never ran here');
});

test('an ack with deleteAfter frees its slot at once, deletes only once it resolves true, and leaves the message when it resolves false', async (t) => {
  const bookkeeping = new Map<string, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();
  const { consumer, submit, spy, callsOf, messages } = setup(t, {
    concurrency: 1,
    handler: async (ctx) => {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      bookkeeping.set(ctx.payload.jobId, { promise, resolve });
      return { kind: 'ack', deleteAfter: promise };
    },
  });
  await submit(2);
  consumer.start();
  // One slot: the second job can only start if the first's slot was freed before its deleteAfter settled.
  await waitFor(() => bookkeeping.size === 2 && consumer.inFlight === 0, {
    description: 'both handlers returned while their deletes wait',
  });
  t.is(callsOf('DeleteMessage').length + callsOf('DeleteMessageBatch').length, 0, 'nothing deleted yet');
  t.is(messages(QUEUE).length, 2);

  bookkeeping.get('job-0')?.resolve(true);
  bookkeeping.get('job-1')?.resolve(false);
  const acked = await spy.waitFor({ bindings: { jobId: 'job-0' } }, 'ack');
  const withheld = await spy.waitFor({ bindings: { jobId: 'job-1' } }, 'ack');
  t.is(acked.settleError, undefined);
  t.is((withheld.settleError as { code?: string } | undefined)?.code, 'ACK_WITHHELD');
  await waitFor(() => messages(QUEUE).length === 1, { description: 'job-0 deleted' });
  const left = messages(QUEUE)[0];
  t.truthy(left);
  t.regex(left?.body ?? '', /job-1/, 'the withheld one stays for its redelivery');
});
