import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { getJob, resultUrl, submitImageJob, type ImageJobsDeps } from '@platform/image-jobs';
import { useIsolatedAws, waitFor, type IsolatedAws } from '@platform/testkit';
import test from 'ava';
import { startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

function wiring(aws: IsolatedAws): { deps: ImageJobsDeps; target: { tableName: string; queueUrl: string } } {
  return {
    deps: { ddb: aws.clients.documentClient, sqs: aws.clients.sqs, s3: aws.clients.s3 },
    target: { tableName: aws.tables.imageJobs, queueUrl: aws.urls.imageJobs },
  };
}

test('a library-submitted job goes QUEUED -> COMPLETED, and its presigned URL serves the exact bytes over HTTP', async (t) => {
  // Prepare
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const job = testJob({ correlationId: 'platform-1' });
  // Act
  const submitted = await submitImageJob(deps, job, target);
  t.is(submitted.job.state, 'QUEUED');
  startInProcessWorker(t, aws);
  const done = await waitFor(
    async () => {
      const current = await getJob(deps, job.jobId, target);
      return current?.state === 'COMPLETED' ? current : undefined;
    },
    { timeoutMs: 60_000, description: `job ${job.jobId} COMPLETED` },
  );
  // Assess: the record kept the submit's fields and gained the result.
  t.is(done.attempts, 1);
  t.is(done.correlationId, 'platform-1');
  t.is(done.queuedAt, submitted.job.queuedAt);
  t.true((done.completedAt ?? 0) >= (done.queuedAt ?? Infinity));
  const result = done.result;
  if (result === undefined) return t.fail('no result on a COMPLETED job');
  const head = await aws.clients.s3.send(new HeadObjectCommand({ Bucket: result.bucket, Key: result.key }));
  t.is(head.Metadata?.sha256, result.sha256);

  const { url } = await resultUrl(deps, job.jobId, { ...target, expiresInSeconds: 60 });
  t.regex(url, /X-Amz-Signature=/);
  const response = await fetch(url);
  t.is(response.status, 200);
  const bytes = Buffer.from(await response.arrayBuffer());
  t.is(bytes.byteLength, result.bytes);
  t.is(createHash('sha256').update(bytes).digest('hex'), result.sha256);
});
