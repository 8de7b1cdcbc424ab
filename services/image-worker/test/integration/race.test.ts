import { useIsolatedAws, waitFor, waitForItem, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { countedS3, putsOf, startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

test('several workers receive the same job at once: exactly one processes it, the others defer then acknowledge', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  const job = testJob({ template: 'gradient', params: { style: 'dots' } });
  // Three copies queued first, three workers (three lease owners) started together: each takes one.
  for (let i = 0; i < 3; i += 1) await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  // A lease well above DynamoDB Local's latency on a loaded machine: an acquire answered after most
  // of a 4 s lease is (rightly) abandoned by its holder, which would make a second acquisition.
  const env = { WORKER_CONCURRENCY: '1', RECEIVE_BATCH_SIZE: '1', LEASE_DURATION_MS: '15000' };
  const workers = [0, 1, 2].map(() => startInProcessWorker(t, aws, { clients, env }));

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'COMPLETED' },
    { timeoutMs: 30_000 },
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 30_000 });

  const acquisitions = workers.flatMap((w) => w.logged('job lease acquired', job.jobId));
  t.is(acquisitions.length, 1, 'one lease, one render');
  t.is(putsOf(counter, item.key as string), 1, 'one upload');
  t.is(item.attempts, 1);
  await waitFor(
    () => workers.filter((w) => w.spy.events({ bindings: { jobId: job.jobId } }).length > 0).length >= 2,
    {
      description: 'the copies to have gone to different workers',
      timeoutMs: 5_000,
    },
  );
  await waitFor(() => workers.reduce((n, w) => n + w.counted('DuplicateDeliveries'), 0) === 2, {
    description: 'the two other copies acknowledged as duplicates',
    timeoutMs: 5_000,
  });
});
