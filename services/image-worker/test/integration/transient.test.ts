import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useIsolatedAws, waitFor, waitForItem, waitForQueueEmpty } from '@platform/testkit';
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
    env: { IMAGE_WORKER_FAULT_INJECTION: 'true', BACKOFF_BASE_SECONDS: '1', BACKOFF_MAX_SECONDS: '8' },
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
  const retries = w.logs.filter((l) => l.msg === 'message settled' && l.outcome === 'retry');
  t.deepEqual(
    retries.map((l) => l.delaySeconds),
    [1, 2],
    'visibility grows: 1 s, then 2 s',
  );
  t.true(retries.every((l) => l.reason === 'INJECTED_TRANSIENT_FAULT'));
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });
  await waitFor(() => w.counted('JobsRetried') === 2 && w.counted('JobsSucceeded') === 1, {
    description: 'JobsRetried 2, JobsSucceeded 1',
    timeoutMs: 5_000,
  });
});

test('after maxReceiveCount transient failures the ledger is FAILED with the last error and SQS moves the message to the DLQ', async (t) => {
  const aws = await useIsolatedAws(t, { queues: { imageJobs: { maxReceiveCount: 3 } } });
  const w = startInProcessWorker(t, aws, {
    env: { IMAGE_WORKER_FAULT_INJECTION: 'true', BACKOFF_BASE_SECONDS: '1', BACKOFF_MAX_SECONDS: '8' },
    random: () => 0.999,
  });
  const job = flaky(1000);
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'FAILED' },
    { timeoutMs: 30_000 },
  );
  t.like(item.lastError, { code: 'INJECTED_TRANSIENT_FAULT', retryable: true });
  t.regex((item.lastError as { message: string }).message, /attempt 3/);
  t.is(item.attempts, 3);

  // SQS's RedrivePolicy, not the worker, moves it: on the receive after the 3rd.
  const moved = await waitFor(
    async () => {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobsDlq,
          WaitTimeSeconds: 1,
          AttributeNames: ['All'],
        }),
      );
      return Messages[0];
    },
    { description: 'the job in the DLQ', timeoutMs: 20_000 },
  );
  t.is(JSON.parse(moved.Body ?? '{}').jobId, job.jobId);
  const retries = w.logs.filter((l) => l.msg === 'message settled' && l.outcome === 'retry');
  t.deepEqual(
    retries.map((l) => l.delaySeconds),
    [1, 2, 4],
    'visibility grows with each receive',
  );
  t.is(
    w.logged('job failed on its last receive; ledger FAILED, SQS moves it to the DLQ', job.jobId).length,
    1,
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });
});
