import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  startRequestCounter,
  useIsolatedAws,
  waitFor,
  waitForItem,
  waitForQueueEmpty,
} from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { iterationsFor, slowFractalJob, testJob } from '../helpers/jobs.ts';
import { startWorkerProcess } from '../helpers/processWorker.ts';

const completed = (item: Record<string, unknown>) => item.status === 'COMPLETED';

test('SIGKILL mid-render: another worker completes the job after the lease expires; one object', async (t) => {
  const aws = await useIsolatedAws(t);
  const s3 = await startRequestCounter({ target: aws.endpoints.s3 });
  t.teardown(() => s3.close());
  const env = { AWS_ENDPOINT_URL_S3: s3.endpoint, MAX_FRACTAL_ITERATIONS: '10000000' };
  const first = await startWorkerProcess(t, aws, 'worker-a', env);
  const job = slowFractalJob(await iterationsFor(5_000));
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await first.waitForLog((l) => l.json?.msg === 'job lease acquired', 30_000);
  await first.kill('SIGKILL');

  const second = await startWorkerProcess(t, aws, 'worker-b', env);
  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: completed },
    { timeoutMs: 60_000 },
  );
  t.is(item.attempts, 2, 'the killed attempt, then the one that completed');
  t.true(String(item.processedBy).includes(`/${second.pid}/`), 'completed by the second worker');
  t.is(s3.count({ method: 'PUT', key: item.key as string }), 1, 'one upload');
  const listed = await aws.clients.s3.send(
    new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `jobs/${job.jobId}` }),
  );
  t.is(listed.KeyCount, 1, 'one object');
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });
});

test('SIGKILL after the upload, before COMPLETED: the retry recognises the object by checksum and does not upload again', async (t) => {
  const aws = await useIsolatedAws(t);
  const s3 = await startRequestCounter({ target: aws.endpoints.s3 });
  const ddb = await startRequestCounter({ target: aws.endpoints.dynamodb });
  t.teardown(async () => {
    await s3.close();
    await ddb.close();
  });
  const job = testJob();
  const key = `jobs/${job.jobId}.png`;
  // Once the upload has started, the first worker's ledger writes hang (then fail): it can finish the
  // upload but never mark the job COMPLETED, which is the window a crash would hit.
  const uploadSeen = () => s3.count({ method: 'PUT', key }) > 0;
  ddb.addFault({ match: (r) => r.operation === 'UpdateItem' && uploadSeen(), delayMs: 15_000, status: 503 });

  const first = await startWorkerProcess(t, aws, 'worker-a', {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
  });
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await waitFor(() => s3.requests({ method: 'PUT', key }).some((r) => r.status === 200), {
    description: 'the upload to succeed',
    timeoutMs: 30_000,
  });
  await first.kill('SIGKILL');
  const { Item: afterCrash } = await aws.clients.documentClient.send(
    new GetCommand({ TableName: aws.tables.imageJobs, Key: { jobId: job.jobId } }),
  );
  t.is(afterCrash?.status, 'PROCESSING', 'uploaded, but never marked COMPLETED');

  const second = await startWorkerProcess(t, aws, 'worker-b', { AWS_ENDPOINT_URL_S3: s3.endpoint });
  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: completed },
    { timeoutMs: 60_000 },
  );
  t.is(item.upload, 'already-present');
  t.is(item.attempts, 2);
  t.is(s3.count({ method: 'PUT', key }), 1, 'no second upload');
  t.true(s3.count({ method: 'HEAD', key }) >= 1, 'the retry looked the object up');
  await second.waitForLog(
    (l) =>
      l.json?.msg === 'job attempt ended' && l.json.jobId === job.jobId && l.json.outcome === 'completed',
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });
});
