import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useIsolatedAws, waitFor, waitForItem, waitForQueueEmpty } from '@platform/testkit';
// Registers the test-only `test-transient-fault` template for the in-process workers below.
import '../plugins/faultInjection.ts';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

// The test-only template fails its first `failAttempts` attempts with a transient error.
const flaky = (failAttempts: number) =>
  testJob({
    template: 'test-transient-fault',
    width: 64,
    height: 64,
    params: { failAttempts, style: 'checker' },
  });

test('a transient failure is retried with growing visibility and completes once it passes', async (t) => {
  const aws = await useIsolatedAws(t, { queues: { imageJobs: { maxReceiveCount: 4 } } });
  // random() just below 1: full jitter then always picks the top of the window, so the growth shows.
  const w = startInProcessWorker(t, aws, {
    env: { BACKOFF_BASE_SECONDS: '1', BACKOFF_MAX_SECONDS: '8' },
    random: () => 0.999,
  });
  const job = flaky(2);
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'COMPLETED' },
    { timeoutMs: 30_000 },
  );
  t.is(item.attempts, 3);
  const retries = w.spy.events({ bindings: { jobId: job.jobId } }, 'retry');
  t.deepEqual(
    retries.map((e) => e.delaySeconds),
    [1, 2],
    'visibility grows: 1 s, then 2 s',
  );
  t.true(retries.every((e) => e.reason === 'INJECTED_TRANSIENT_FAULT'));
  t.is(item.failures, 2);
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });
  await waitFor(() => w.counted('JobsRetried') === 2 && w.counted('JobsSucceeded') === 1, {
    description: 'JobsRetried 2, JobsSucceeded 1',
    timeoutMs: 5_000,
  });
});

test('after MAX_ATTEMPTS failed attempts the worker gives up: ledger FAILED (ATTEMPTS_EXHAUSTED, with the last error) and the message in the DLQ with that reason', async (t) => {
  // The backstop (maxReceiveCount 5) is above the retry limit (3): the ledger's count decides.
  const aws = await useIsolatedAws(t, { queues: { imageJobs: { maxReceiveCount: 5 } } });
  const w = startInProcessWorker(t, aws, {
    env: {
      MAX_ATTEMPTS: '3',
      BACKOFF_BASE_SECONDS: '1',
      BACKOFF_MAX_SECONDS: '8',
    },
    random: () => 0.999,
  });
  const job = flaky(1000);
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  const deadLettered = await w.spy.waitFor({ bindings: { jobId: job.jobId } }, 'dead-letter', 30_000);
  t.is(deadLettered.reason, 'ATTEMPTS_EXHAUSTED');
  t.is(deadLettered.receiveCount, 3, 'the third receive, not the fifth: receives are only a backstop');
  t.deepEqual(
    w.spy.events({ bindings: { jobId: job.jobId } }, 'retry').map((e) => [e.reason, e.delaySeconds]),
    [
      ['INJECTED_TRANSIENT_FAULT', 1],
      ['INJECTED_TRANSIENT_FAULT', 2],
    ],
    'visibility grows with each failed attempt',
  );

  const item = await w.worker.ledger.get(job.jobId);
  t.is(item?.status, 'FAILED', 'the DLQ never holds a job the ledger calls PROCESSING');
  t.like(item?.lastError, { code: 'ATTEMPTS_EXHAUSTED', retryable: true });
  t.regex(item?.lastError?.message ?? '', /3 failed attempt\(s\).*INJECTED_TRANSIENT_FAULT.*attempt 3/);
  t.is(item?.attempts, 3);
  t.is(item?.failures, 3);

  const moved = await waitFor(
    async () => {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobsDlq,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      return Messages[0];
    },
    { description: 'the job in the DLQ', timeoutMs: 20_000 },
  );
  t.is(JSON.parse(moved.Body ?? '{}').jobId, job.jobId);
  t.is(moved.MessageAttributes?.['dlq-reason']?.StringValue, 'ATTEMPTS_EXHAUSTED');
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });
  t.is(w.counted('JobsFailed'), 1);
});
