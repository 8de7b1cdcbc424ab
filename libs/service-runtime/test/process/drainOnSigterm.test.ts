// The bootstrap in a real process: SIGTERM drains the consumer and exits 0; a second signal exits
// 130 at once; an invalid environment (service and telemetry variables alike) exits 78 naming each.
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeMessage, IMAGE_JOB_REQUESTED_V1_EXAMPLES } from '@platform/contracts';
import { runService, useIsolatedAws, waitForQueueEmpty } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';

const ENTRY = 'libs/service-runtime/test/fixtures/signalWorker.ts';

async function startWorker(t: ExecutionContext) {
  const aws = await useIsolatedAws(t, {
    queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } },
  });
  const worker = runService(t, { name: 'signal-worker', entry: ENTRY, env: aws.env, telemetry: false });
  await worker.waitForLog((line) => line.json?.msg === 'worker polling', 30_000);
  const jobId = randomUUID();
  const encoded = encodeMessage('image.job.requested', { ...IMAGE_JOB_REQUESTED_V1_EXAMPLES[0]!, jobId });
  await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.urls.imageJobs, ...encoded }));
  await worker.waitForLog((line) => line.json?.msg === 'handler started', 30_000);
  return { aws, worker };
}

test('SIGTERM while busy: stop polling, the in-flight handler finishes and is acked, exit 0', async (t) => {
  const { aws, worker } = await startWorker(t);

  const exit = await worker.kill('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null }, worker.tail(20));
  const messages = worker.logs().map((line) => line.json?.msg);
  t.true(
    messages.indexOf('handler finished') > messages.indexOf('shutting down'),
    'finished during the drain',
  );
  t.true(messages.includes('consumer stopped'));
  t.true(messages.includes('signal-worker stopped'));
  const settled = worker.logs().find((line) => line.json?.msg === 'message settled');
  t.is(settled?.json?.outcome, 'ack');
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('a second signal while draining exits 130 at once', async (t) => {
  const { worker } = await startWorker(t);
  process.kill(worker.pid ?? 0, 'SIGTERM');
  await worker.waitForLog((line) => line.json?.msg === 'shutting down');
  const exit = await worker.kill('SIGINT');
  t.deepEqual(exit, { code: 130, signal: null }, worker.tail(20));
  t.truthy(worker.logs().find((line) => line.json?.msg === 'second signal during shutdown; exiting now'));
});

test('an invalid environment exits 78 naming every bad variable, the telemetry ones included', async (t) => {
  const worker = runService(t, {
    name: 'signal-worker',
    entry: ENTRY,
    env: { IMAGE_JOBS_QUEUE_URL: 'not a url', LOG_LEVEL: 'loud', METRICS_SINK: 'printer' },
    telemetry: false,
  });
  const exit = await worker.exited;
  t.is(exit.code, 78, worker.tail());
  const stderr = worker
    .logs()
    .filter((line) => line.stream === 'stderr')
    .map((line) => line.text)
    .join('\n');
  for (const name of ['IMAGE_JOBS_QUEUE_URL', 'IMAGE_JOBS_DLQ_URL', 'LOG_LEVEL', 'METRICS_SINK']) {
    t.regex(stderr, new RegExp(`${name}: `));
  }
});

test('METRICS_SINK=cloudwatch without a CloudWatch endpoint: the service starts, the failed flush is a warning', async (t) => {
  const aws = await useIsolatedAws(t, {
    queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } },
  });
  const worker = runService(t, {
    name: 'signal-worker',
    entry: ENTRY,
    env: { ...aws.env, METRICS_SINK: 'cloudwatch' },
    telemetry: false,
  });
  const failed = await worker.waitForLog((line) => line.json?.msg === 'metrics flush failed', 60_000);
  t.is(failed.json?.level, 'warn');
  await worker.waitForLog((line) => line.json?.msg === 'worker polling', 30_000);
  const exit = await worker.kill('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null }, worker.tail(20));
});

test('an uncaught error caused by a client is logged and the process keeps running', async (t) => {
  const aws = await useIsolatedAws(t, {
    queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } },
  });
  const worker = runService(t, {
    name: 'signal-worker',
    entry: ENTRY,
    env: { ...aws.env, FIXTURE_UNCAUGHT: 'client' },
    telemetry: false,
  });
  const polling = await worker.waitForLog((line) => line.json?.msg === 'worker polling', 60_000);
  const logged = await worker.waitForLog(
    (line) => line.json?.msg === 'error caused by a client connection; still running',
  );
  t.is(logged.json?.level, 'warn');
  const health = await fetch(`http://127.0.0.1:${Number(polling.json?.healthPort)}/healthz`);
  t.is(health.status, 200, 'still serving');
  t.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null });
});

test('an uncaught bug is logged at fatal and stops the process gracefully with exit 70', async (t) => {
  const aws = await useIsolatedAws(t, {
    queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } },
  });
  const worker = runService(t, {
    name: 'signal-worker',
    entry: ENTRY,
    env: { ...aws.env, FIXTURE_UNCAUGHT: 'bug' },
    telemetry: false,
  });
  const exit = await worker.exited;
  t.deepEqual(exit, { code: 70, signal: null }, worker.tail());
  const fatal = worker.logs().find((line) => line.json?.msg === 'uncaught error: a bug; stopping');
  t.like(fatal?.json, { level: 'fatal', err: { type: 'TypeError' } });
  t.truthy(
    worker.logs().find((line) => line.json?.msg === 'consumer stopped'),
    'stopped gracefully',
  );
});

test('logs are asynchronous, yet the fatal line of a bug reaches stdout even if the event loop never runs again', async (t) => {
  const aws = await useIsolatedAws(t, {
    queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } },
  });
  const worker = runService(t, {
    name: 'signal-worker',
    entry: ENTRY,
    env: { ...aws.env, FIXTURE_UNCAUGHT: 'bug-then-hang' },
    telemetry: false,
  });
  const fatal = await worker.waitForLog(
    (line) => line.json?.msg === 'uncaught error: a bug; stopping',
    60_000,
  );
  t.like(fatal.json, { level: 'fatal', err: { type: 'TypeError' } });
  const fillers = worker.logs().filter((line) => line.json?.msg === 'filler line');
  t.is(fillers.length, 500, 'every line before the bug, in order, before the fatal one');
  t.deepEqual(
    fillers.map((line) => line.json?.i),
    Array.from({ length: 500 }, (_, i) => i),
  );
  t.deepEqual(await worker.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
});
