// The consumer and withLease wired together on in-memory FAKES (SQS and the ledger): no emulator,
// so the settle-per-outcome path runs in milliseconds. The same paths run against fauxqs and
// DynamoDB Local in consumer.test.ts and in the services' tests.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeMessage } from '@platform/contracts';
import { TransientError } from '@platform/errors';
import test, { type ExecutionContext } from 'ava';
import { createReliableConsumer, withLease } from '../../src/index.ts';
import { OutcomeSpy } from '../../src/testing/index.ts';
import { createInMemoryLedger } from '../fakes/inMemoryLedger.ts';
import { createInMemorySqs } from '../fakes/inMemorySqs.ts';
import { jobPayload, logger } from '../helpers/consumer.ts';
import { DLQ, QUEUE, fakeQueueOptions } from '../helpers/fakeConsumer.ts';

function start(t: ExecutionContext, failuresBeforeSuccess: number, maxAttempts: number) {
  const { sqs, messages } = createInMemorySqs();
  const ledger = createInMemoryLedger();
  const spy = new OutcomeSpy({ timeoutMs: 10_000 });
  let calls = 0;
  const consumer = createReliableConsumer(
    // random 0: every backoff is 0 s, so retries come back at once.
    { sqs, logger, random: () => 0 },
    {
      ...fakeQueueOptions(spy),
      handler: (ctx) =>
        withLease(
          ctx,
          ledger,
          { key: ctx.payload.jobId, owner: 'fake-worker', policy: { maxAttempts, maxReceiveCount: 10 } },
          async () => {
            calls += 1;
            if (calls <= failuresBeforeSuccess) throw new TransientError('FLAKY', `failure ${calls}`);
            return { kind: 'completed', attributes: { done: true } };
          },
        ),
    },
  );
  consumer.start();
  t.teardown(() => consumer.stop({ timeoutMs: 0 }));
  const submit = async (jobId: string) =>
    sqs.send(
      new SendMessageCommand({ QueueUrl: QUEUE, ...encodeMessage('image.job.requested', jobPayload(jobId)) }),
    );
  return { spy, ledger, messages, submit };
}

test('fake SQS + fake ledger: two transient failures, then success; acked and deleted', async (t) => {
  const { spy, ledger, messages, submit } = start(t, 2, 3);
  await submit('job-1');
  const acked = await spy.waitFor({ bindings: { jobId: 'job-1' } }, 'ack');
  t.is(acked.receiveCount, 3);
  t.deepEqual(
    spy.events({ bindings: { jobId: 'job-1' } }).map((e) => e.kind),
    ['retry', 'retry', 'ack'],
  );
  t.like(ledger.records.get('job-1'), { status: 'COMPLETED', failures: 2, attempts: 3 });
  t.is(messages(QUEUE).length, 0);
});

test('fake SQS + fake ledger: maxAttempts failures dead-letter the message with the reason the ledger holds', async (t) => {
  const { spy, ledger, messages, submit } = start(t, 100, 2);
  await submit('job-2');
  const dead = await spy.waitFor({ bindings: { jobId: 'job-2' } }, 'dead-letter');
  t.is(dead.reason, 'ATTEMPTS_EXHAUSTED');
  t.like(ledger.records.get('job-2'), {
    status: 'FAILED',
    failures: 2,
    lastError: { code: 'ATTEMPTS_EXHAUSTED' },
  });
  t.is(messages(QUEUE).length, 0);
  t.is(messages(DLQ).length, 1);
  t.is(messages(DLQ)[0]?.attributes?.['dlq-reason']?.StringValue, 'ATTEMPTS_EXHAUSTED');
});
