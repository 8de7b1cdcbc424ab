// The completion events' PublishBatch against a FAKE SNS client: the only way to get an answer with
// some entries in `Failed[]` (fauxqs publishes every valid entry). The end-to-end path, events on the
// subscription queue with their own trace context, runs against fauxqs in integration/tracing.test.ts.
import type { SNSClient } from '@aws-sdk/client-sns';
import test from 'ava';
import { createPublishBatcher, type PublishEntry } from '../../src/events/publishBatcher.ts';

type Call = { command: string; input: Record<string, unknown> };

/** An SNS client that records each command and answers PublishBatch with `answer(entries, call)`. */
function fakeSns(answer: (ids: string[], call: number) => { failed?: Record<string, boolean> }) {
  const calls: Call[] = [];
  const sns = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command.constructor.name === 'PublishCommand') return { MessageId: `single-${calls.length}` };
      const entries = command.input.PublishBatchRequestEntries as Array<{ Id: string }>;
      const { failed = {} } = answer(
        entries.map((e) => e.Id),
        calls.length,
      );
      return {
        Successful: entries
          .filter((e) => !(e.Id in failed))
          .map((e) => ({ Id: e.Id, MessageId: `m-${calls.length}-${e.Id}` })),
        Failed: entries
          .filter((e) => e.Id in failed)
          .map((e) => ({
            Id: e.Id,
            Code: failed[e.Id] ? 'InvalidParameter' : 'InternalError',
            SenderFault: failed[e.Id],
            Message: 'x',
          })),
      };
    },
  } as unknown as Pick<SNSClient, 'send'>;
  return { sns, calls };
}

const entry = (body: string): PublishEntry => ({
  Message: body,
  MessageAttributes: { contract: { DataType: 'String', StringValue: 'image.job.completed' } },
});

function batcherOn(sns: Pick<SNSClient, 'send'>) {
  return createPublishBatcher({
    sns,
    topicArn: 'arn:aws:sns:us-east-1:000000000000:events',
    lingerMs: 1_000,
    signal: () => AbortSignal.timeout(5_000),
  });
}

test('one PublishBatch for events queued together; an SNS-side entry failure is sent again, a sender fault is reported at once', async (t) => {
  // Entry 1 fails on SNS's side in the first call only; entry 2 is the sender's fault.
  const { sns, calls } = fakeSns((_ids, call) => (call === 1 ? { failed: { '1': false, '2': true } } : {}));
  const batcher = batcherOn(sns);

  const results = Promise.all(['a', 'b', 'c'].map((body) => batcher.publish(entry(body))));
  await batcher.flush();
  const [a, b, c] = await results;

  t.deepEqual(a, { ok: true, messageId: 'm-1-0' });
  t.deepEqual(b, { ok: true, messageId: 'single-2' }, 'sent again, alone: a plain Publish');
  t.false(c?.ok);
  t.like(c?.ok === false ? c.error : undefined, { code: 'InvalidParameter', senderFault: true });
  t.deepEqual(
    calls.map((call) => call.command),
    ['PublishBatchCommand', 'PublishCommand'],
  );
  const sent = calls[0]?.input.PublishBatchRequestEntries as Array<{
    Message: string;
    MessageAttributes: unknown;
  }>;
  t.deepEqual(
    sent.map((e) => e.Message),
    ['a', 'b', 'c'],
  );
  t.truthy(sent[0]?.MessageAttributes, 'each entry keeps its own attributes');
});

test('more than 256 KiB of events are split across calls; 11 events need two calls', async (t) => {
  const { sns, calls } = fakeSns(() => ({}));
  const batcher = batcherOn(sns);
  const big = 'x'.repeat(100_000);

  const results = await Promise.all([
    ...[big, big, big].map((body) => batcher.publish(entry(body))),
    ...Array.from({ length: 11 }, (_, i) => batcher.publish(entry(`small-${i}`))),
    batcher.flush().then(() => ({ ok: true as const, messageId: 'flush' })),
  ]);

  t.true(results.every((r) => r.ok));
  const sizes = calls.map((call) =>
    call.command === 'PublishCommand' ? 1 : (call.input.PublishBatchRequestEntries as unknown[]).length,
  );
  t.is(
    sizes.reduce((n, size) => n + size, 0),
    14,
  );
  t.true(sizes.every((size) => size <= 10));
  for (const call of calls) {
    const entries =
      call.command === 'PublishCommand'
        ? [call.input as { Message: string }]
        : (call.input.PublishBatchRequestEntries as Array<{ Message: string }>);
    t.true(entries.reduce((n, e) => n + e.Message.length, 0) <= 262_144, 'within 256 KiB per call');
  }
});

test('a whole-call failure reports every entry as not published, never a rejection', async (t) => {
  const sns = {
    send: async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    },
  } as unknown as Pick<SNSClient, 'send'>;
  const batcher = batcherOn(sns);
  const results = Promise.all(['a', 'b'].map((body) => batcher.publish(entry(body))));
  await batcher.flush();
  t.deepEqual(
    (await results).map((r) => r.ok),
    [false, false],
  );
});
