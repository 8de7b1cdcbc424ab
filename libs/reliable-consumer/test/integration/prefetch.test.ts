// Full receives (held prefetch) and batched deletes against the emulated SQS (fauxqs): what the
// consumer asks SQS for, and what SQS then holds, read back with raw calls.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PermanentError } from '@platform/errors';
import { queueCounts, waitFor, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import { gate, receiveNow, sendJob, startConsumer, useQueues } from '../helpers/consumer.ts';

/** The emulator's client, with every command's name and input recorded. */
function recording(sqs: SQSClient) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const send = ((
    command: { constructor: { name: string }; input: Record<string, unknown> },
    options?: object,
  ) => {
    calls.push({ name: command.constructor.name.replace(/Command$/, ''), input: command.input });
    return (sqs.send as (c: unknown, o?: object) => Promise<unknown>)(command, options);
  }) as unknown as SQSClient['send'];
  return { sqs: { send }, of: (name: string) => calls.filter((c) => c.name === name) };
}

test('a full receive is held then processed: one receive of 10 for 2 slots, every job acked once, deletes batched', async (t) => {
  const aws = await useQueues(t);
  const jobs = await Promise.all(
    Array.from({ length: 10 }, () => sendJob(aws.clients.sqs, aws.urls.imageJobs)),
  );
  const rec = recording(aws.clients.sqs);
  const release = gate();
  const { consumer, outcomes } = startConsumer(
    t,
    aws,
    {
      concurrency: 2,
      prefetch: 8,
      deleteLingerMs: 200,
      handler: async () => {
        await release.promise;
        return { kind: 'ack' };
      },
    },
    { sqs: rec.sqs },
  );
  await waitFor(() => consumer.held === 8 && consumer.inFlight === 2, { description: '2 running, 8 held' });
  const receivesWithMessages = rec.of('ReceiveMessage');
  t.is(receivesWithMessages[0]?.input.MaxNumberOfMessages, 10);
  // Held messages are invisible to everyone else meanwhile.
  t.is((await receiveNow(aws.clients.sqs, aws.urls.imageJobs)).length, 0);

  release.open();
  await waitFor(() => outcomes.filter((o) => o.kind === 'ack').length === 10, { description: '10 acks' });
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });
  t.deepEqual(outcomes.map((o) => o.messageId).sort(), [...jobs].sort(), 'each message exactly once');
  t.true(outcomes.every((o) => o.kind === 'ack' && o.settleError === undefined && o.receiveCount === 1));
  t.is(rec.of('DeleteMessage').length, 0);
  t.true(
    rec.of('DeleteMessageBatch').length < 10,
    `${rec.of('DeleteMessageBatch').length} delete calls for 10`,
  );
  t.is((await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq)).visible, 0);
});

test('stop(): held messages go back to the queue at once, unrun, with nothing lost', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 30 });
  const jobs = await Promise.all(
    Array.from({ length: 5 }, () => sendJob(aws.clients.sqs, aws.urls.imageJobs)),
  );
  const release = gate();
  const ran: string[] = [];
  const { consumer, outcomes } = startConsumer(t, aws, {
    concurrency: 1,
    prefetch: 4,
    deleteLingerMs: 200,
    handler: async (ctx) => {
      ran.push(ctx.message.MessageId ?? '');
      await release.promise;
      return { kind: 'ack' };
    },
  });
  await waitFor(() => consumer.held === 4, { description: '4 held' });
  const stopping = consumer.stop({ timeoutMs: 10_000 });
  await waitFor(() => outcomes.filter((o) => o.kind === 'released').length === 4, {
    description: 'the 4 held released',
  });
  // Visible now (well before the 30 s visibility would have run out): another worker gets them.
  const back = await receiveNow(aws.clients.sqs, aws.urls.imageJobs);
  t.is(back.length, 4);
  t.deepEqual([...back.map((m) => m.MessageId), ...ran].sort(), [...jobs].sort(), 'every job accounted for');
  t.false(
    back.some((m) => ran.includes(m.MessageId ?? '')),
    'the running one stays ours',
  );
  release.open();
  await stopping;
  // stop() flushed the lingering delete of the one that ran.
  t.deepEqual(
    outcomes.filter((o) => o.kind === 'ack').map((o) => [o.messageId, o.settleError]),
    [[ran[0], undefined]],
  );
  const left = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
  t.is(left.visible + left.inFlight, 4, 'the acked one is deleted, the 4 released are still there');
});

test('with a delete linger, the dead-letter path still deletes at once with its own DeleteMessage: one DLQ copy', async (t) => {
  const aws = await useQueues(t);
  const rec = recording(aws.clients.sqs);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      prefetch: 6,
      deleteLingerMs: 1_000,
      handler: async () => {
        throw new PermanentError('BAD_SPEC', 'never renders');
      },
    },
    { sqs: rec.sqs },
  );
  await waitFor(() => outcomes.some((o) => o.kind === 'dead-letter'), { description: 'dead-lettered' });
  t.is(rec.of('SendMessage').length, 1);
  t.is(rec.of('DeleteMessage').length, 1, 'deleted right after the copy');
  t.is(rec.of('DeleteMessageBatch').length, 0, 'not through the ack linger');
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });
  t.is((await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq)).visible, 1);
});
