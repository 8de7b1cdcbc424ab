import { randomUUID } from 'node:crypto';
import { runService, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import { sendJob, useQueues } from './helpers.ts';

test('SIGTERM while busy: stop polling, the in-flight handler finishes and is acked, exit 0', async (t) => {
  const aws = await useQueues(t);
  const worker = runService(t, {
    name: 'signal-worker',
    entry: 'libs/reliable-consumer/test/fixtures/signalWorker.ts',
    env: aws.env,
    telemetry: false,
  });
  await worker.waitForLog((line) => line.json?.msg === 'worker polling', 30_000);
  const jobId = randomUUID();
  await sendJob(aws.clients.sqs, aws.urls.imageJobs, jobId);
  await worker.waitForLog((line) => line.json?.msg === 'handler started', 30_000);

  const exit = await worker.kill('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null }, worker.tail(20));
  const messages = worker.logs().map((line) => line.json?.msg);
  t.true(
    messages.indexOf('handler finished') > messages.indexOf('consumer stopping'),
    'finished during the drain',
  );
  t.true(messages.includes('consumer stopped'));
  const settled = worker.logs().find((line) => line.json?.msg === 'message settled');
  t.is(settled?.json?.outcome, 'ack');
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});
