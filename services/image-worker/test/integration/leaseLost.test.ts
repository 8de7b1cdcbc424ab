import { createLeaseLedger } from '@platform/reliable-consumer';
import { useIsolatedAws, waitFor, waitForItem } from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { countedS3, putsOf, startInProcessWorker, type InProcessWorker } from '../helpers/inProcessWorker.ts';
import { iterationsFor, slowFractalJob, testJob } from '../helpers/jobs.ts';

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

test('an upload held on the network past the lease it was signed under is refused by S3, re-signed under the renewed lease, and stored once', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  // A 4 s lease renewed every second: no attempt is signed for more than 4 s, and the first PUT
  // spends 5 s on the way (network latency, or the sender paused after its check).
  counter.addFault({ match: { service: 's3', method: 'PUT' }, delayMs: 5_000, times: 1 });
  const w = startInProcessWorker(t, aws, { clients, env: { LEASE_DURATION_MS: '4000' } });
  const job = testJob();
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'COMPLETED' },
    { timeoutMs: 30_000 },
  );
  const puts = counter.requests({ service: 's3', method: 'PUT', key: item.key as string });
  t.deepEqual(
    puts.map((r) => [r.status, r.expired === true]),
    [
      [403, true],
      [200, false],
    ],
    'the late attempt took no effect; the next one, signed afresh, did',
  );
  const expiresIn = Number(new URLSearchParams(puts[0]?.query ?? '').get('X-Amz-Expires'));
  t.true(expiresIn >= 1 && expiresIn <= 4, `signed for ${expiresIn} s of a 4 s lease`);
  t.is(counter.successfulPuts().get(`${aws.bucket}/${item.key as string}`), 1);
  t.is(item.attempts, 1, 'one attempt: a refused PUT is not a failure');
  t.is(w.counted('LeaseLost'), 0);
});
