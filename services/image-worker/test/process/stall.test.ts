// A worker process paused (SIGSTOP) longer than its lease: when it resumes (SIGCONT) its own
// monotonic lease deadline has passed, so it abandons the job with no S3 PUT and no ledger write,
// while another owner holds the job. S3's If-None-Match stays the storage-side fence; this proves
// the worker does not even try.
import { createLeaseLedger } from '@platform/reliable-consumer';
import { startRequestCounter, useIsolatedAws, waitFor, type IsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { iterationsFor, slowFractalJob, testJob } from '../helpers/jobs.ts';
import { startWorkerProcess } from '../helpers/processWorker.ts';

const LEASE_MS = 4_000;

/** Counters in front of S3 and DynamoDB, and the worker env pointing through them. */
async function counted(t: ExecutionContext, aws: IsolatedAws) {
  const s3 = await startRequestCounter({ target: aws.endpoints.s3 });
  const ddb = await startRequestCounter({ target: aws.endpoints.dynamodb });
  t.teardown(async () => {
    await s3.close();
    await ddb.close();
  });
  const env = {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    LEASE_DURATION_MS: String(LEASE_MS),
    // One job at a time: no second receive can slip a ledger request into the window we count.
    WORKER_CONCURRENCY: '1',
    MAX_FRACTAL_ITERATIONS: '100000000',
  };
  return { s3, ddb, env };
}

/** SIGSTOP now; SIGCONT at teardown too, so a failing test never leaves a frozen process behind. */
function pause(t: ExecutionContext, pid: number | undefined): () => void {
  if (pid === undefined) throw new Error('worker has no pid');
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    process.kill(pid, 'SIGCONT');
  };
  t.teardown(resume);
  return resume;
}

/** Until the stored lease has run out by the wall clock (what another worker's acquire checks). */
async function leaseExpired(aws: IsolatedAws, jobId: string): Promise<void> {
  const reader = createLeaseLedger(
    { ddb: aws.clients.documentClient },
    { tableName: aws.tables.imageJobs, keyName: 'jobId', leaseDurationMs: LEASE_MS },
  );
  await waitFor(
    async () => {
      const record = await reader.get(jobId);
      return record !== undefined && (record.leaseExpiresAt ?? Infinity) < Date.now() - 200;
    },
    { description: 'the paused worker lease to expire', timeoutMs: 20_000 },
  );
}

test('SIGSTOP past the lease while rendering a slow job: after SIGCONT no PUT and no ledger write; the new owner keeps the job', async (t) => {
  const aws = await useIsolatedAws(t);
  const { s3, ddb, env } = await counted(t, aws);
  const worker = await startWorkerProcess(t, aws, 'paused-worker', env);
  const job = slowFractalJob(await iterationsFor(8_000));
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await worker.waitForLog((l) => l.json?.msg === 'job lease acquired' && l.json.jobId === job.jobId, 30_000);

  const resume = pause(t, worker.pid);
  await leaseExpired(aws, job.jobId);
  // Another worker takes the job over, as it may once the lease ran out by its clock.
  const other = createLeaseLedger(
    { ddb: aws.clients.documentClient },
    { tableName: aws.tables.imageJobs, keyName: 'jobId', leaseDurationMs: 60_000 },
  );
  const takeover = await other.acquire(job.jobId, 'other-worker');
  t.is(takeover.kind, 'acquired');
  const ledgerRequestsBefore = ddb.count({ operation: 'UpdateItem' });

  resume();
  const ended = await worker.waitForLog(
    (l) => l.json?.msg === 'job attempt ended' && l.json.jobId === job.jobId,
    30_000,
  );
  t.is(ended.json?.outcome, 'lease-lost');
  t.is(s3.count({ method: 'PUT', key: `jobs/${job.jobId}.png` }), 0, 'no PUT after the lease ran out');
  t.is(
    ddb.count({ operation: 'UpdateItem' }),
    ledgerRequestsBefore,
    'no ledger write was even sent (no renew, no complete, no fail, no release)',
  );
  const record = await other.get(job.jobId);
  t.like(record, { status: 'PROCESSING', leaseOwner: 'other-worker' });
  t.is(record?.version, takeover.kind === 'acquired' ? takeover.lease.version : -1);
  // Refused locally, not by DynamoDB: the UpdateItem count above proves no write was sent, and the
  // attempt ended lease-lost (asserted above). Which local check fired first after SIGCONT depends on
  // scheduling, so no log wording is asserted here.
});

test('an acquire answer read after a pause longer than the lease: the job is not started; the redelivery completes it with one PUT', async (t) => {
  const aws = await useIsolatedAws(t);
  const { s3, ddb, env } = await counted(t, aws);
  const worker = await startWorkerProcess(t, aws, 'late-reader', env);
  const job = testJob();
  // The acquire reaches DynamoDB and is applied; its answer is held 1.5 s, long enough to pause
  // the worker before it reads it.
  ddb.addFault({ match: { operation: 'UpdateItem' }, delayMs: 1_500, times: 1 });
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await waitFor(() => ddb.count({ operation: 'UpdateItem' }) === 1, {
    description: 'the acquire request at the proxy',
    timeoutMs: 20_000,
  });
  const resume = pause(t, worker.pid);
  await leaseExpired(aws, job.jobId);
  resume();

  const ended = await worker.waitForLog(
    (l) => l.json?.msg === 'job attempt ended' && l.json.jobId === job.jobId,
    30_000,
  );
  t.is(ended.json?.outcome, 'lease-lost');
  t.is(s3.count({ method: 'PUT' }), 0, 'nothing rendered or uploaded under the stale lease');
  t.is(ddb.count({ operation: 'UpdateItem' }), 1, 'only the acquire itself');

  // The message comes back; a fresh acquire (the lease had expired) completes it, once.
  await worker.waitForLog(
    (l) =>
      l.json?.msg === 'job attempt ended' && l.json.jobId === job.jobId && l.json.outcome === 'completed',
    30_000,
  );
  t.is(s3.count({ method: 'PUT', key: `jobs/${job.jobId}.png` }), 1);
});
