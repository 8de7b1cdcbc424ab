import { createHash } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useIsolatedAws, waitFor, waitForItem, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import sharp from 'sharp';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { getObjectBytes, testJob } from '../helpers/jobs.ts';
import { startWorkerProcess } from '../helpers/processWorker.ts';

test('a job message becomes an image in S3, a COMPLETED ledger record with metadata, and a deleted message', async (t) => {
  const aws = await useIsolatedAws(t);
  const worker = await startWorkerProcess(t, aws, 'image-worker');

  const cases = [
    testJob({ format: 'png', width: 320, height: 168 }),
    testJob({ format: 'jpeg', width: 200, height: 120, template: 'gradient', params: { style: 'stripes' } }),
    testJob({ format: 'webp', width: 96, height: 64, template: 'fractal', params: { iterations: 50 } }),
  ];
  for (const job of cases) await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  for (const job of cases) {
    const item = await waitForItem(
      aws.clients.documentClient,
      { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: (i) => i.status === 'COMPLETED' },
      { timeoutMs: 30_000 },
    );
    const extension = job.format === 'jpeg' ? 'jpg' : job.format;
    t.is(item.key, `jobs/${job.jobId}.${extension}`);
    t.is(item.s3Uri, `s3://${aws.bucket}/jobs/${job.jobId}.${extension}`);
    t.is(item.contentType, `image/${job.format}`);
    t.is(item.template, job.template);
    t.is(item.attempts, 1);
    t.true(typeof item.processedAt === 'string' && !Number.isNaN(Date.parse(item.processedAt)));
    t.true(typeof item.durationMs === 'number');

    const bytes = await getObjectBytes(aws.clients.s3, aws.bucket, item.key as string);
    t.is(bytes.length, Number(item.bytes));
    t.is(createHash('sha256').update(bytes).digest('hex'), String(item.sha256));
    const metadata = await sharp(bytes).metadata();
    t.is(metadata.format, job.format === 'jpeg' ? 'jpeg' : job.format);
    t.is(metadata.width, job.width);
    t.is(metadata.height, job.height);
  }

  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });
  const dlq = await aws.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: aws.urls.imageJobsDlq, WaitTimeSeconds: 0 }),
  );
  t.is(dlq.Messages?.length ?? 0, 0);

  // Telemetry: every job line carries the jobId, and EMF documents name the template.
  const jobLines = await waitFor(
    () => {
      const lines = worker.logs().filter((l) => l.json?.msg === 'job attempt ended');
      return lines.length >= cases.length ? lines : undefined;
    },
    { description: 'a log line per job', timeoutMs: 5_000 },
  );
  t.is(jobLines.length, cases.length);
  t.true(jobLines.every((l) => typeof l.json?.jobId === 'string' && typeof l.json.trace_id === 'string'));
  const emf = worker.logs().filter((l) => l.json?._aws !== undefined && l.json.JobsSucceeded !== undefined);
  t.true(emf.length > 0);
});
