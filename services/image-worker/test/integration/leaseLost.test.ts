import { createLeaseLedger } from '@platform/reliable-consumer';
import { useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { countedS3, putsOf, startInProcessWorker, type InProcessWorker } from '../helpers/inProcessWorker.ts';
import { iterationsFor, slowFractalJob } from '../helpers/jobs.ts';

const HOUR_MS = 3_600_000;

async function settledAbandoned(w: InProcessWorker, jobId: string): Promise<void> {
  await w.spy.waitFor({ bindings: { jobId } }, 'abandoned', 20_000);
}

test('a worker whose lease was taken over stops: no upload, no completion', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  const w = startInProcessWorker(t, aws, { clients, env: { MAX_FRACTAL_ITERATIONS: '10000000' } });
  const job = slowFractalJob(await iterationsFor(6_000));
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await waitFor(() => w.logged('job lease acquired', job.jobId).length === 1, {
    description: 'the worker to acquire',
    timeoutMs: 20_000,
  });

  // Another worker whose clock says the lease ran out (an hour later) takes the job over.
  const usurper = createLeaseLedger(
    { ddb: aws.clients.documentClient, clock: () => Date.now() + HOUR_MS },
    { tableName: aws.tables.imageJobs, keyName: 'jobId', leaseDurationMs: 4_000 },
  );
  const takeover = await usurper.acquire(job.jobId, 'usurper');
  t.is(takeover.kind, 'acquired');

  await settledAbandoned(w, job.jobId);
  const lost = w.logs.find((l) => l.msg === 'lease lost; abandoning the job without side effects');
  t.like(lost?.err, { type: 'RenderCancelled' }, 'the render thread was stopped mid-render');
  t.is(putsOf(counter, `jobs/${job.jobId}.png`), 0, 'nothing uploaded');
  const record = await usurper.get(job.jobId);
  t.is(record?.status, 'PROCESSING');
  t.is(record?.leaseOwner, 'usurper', 'the stale worker wrote nothing after the takeover');
  await waitFor(() => w.counted('LeaseLost', 'fractal') === 1, {
    description: 'LeaseLost = 1',
    timeoutMs: 5_000,
  });
  t.is(w.counted('JobsSucceeded'), 0);
});

test('a worker whose own clock runs past its lease (paused, skewed) cannot renew and stops without side effects', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  let skewMs = 0;
  const w = startInProcessWorker(t, aws, {
    clients,
    clock: () => Date.now() + skewMs,
    env: { MAX_FRACTAL_ITERATIONS: '10000000' },
  });
  const job = slowFractalJob(await iterationsFor(6_000));
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await waitFor(() => w.logged('job lease acquired', job.jobId).length === 1, {
    description: 'the worker to acquire',
    timeoutMs: 20_000,
  });

  // As if the process had been frozen for an hour: every holder write is now past leaseExpiresAt.
  skewMs = HOUR_MS;
  await settledAbandoned(w, job.jobId);
  t.is(putsOf(counter, `jobs/${job.jobId}.png`), 0, 'nothing uploaded');
  const record = await w.worker.ledger.get(job.jobId);
  t.is(record?.status, 'PROCESSING', 'not completed');
  t.true(w.logs.some((l) => l.msg === 'lease lost; abandoning the job without side effects'));
});
