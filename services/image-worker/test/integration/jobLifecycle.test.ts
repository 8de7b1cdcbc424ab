import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, DeleteMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { decodeMessage, type ImageJobCompleted, type ImageJobFailed } from '@platform/contracts';
import {
  cancelJob,
  getJob,
  listJobs,
  submitImageJob,
  submitImageJobs,
  type ImageJobsDeps,
} from '@platform/image-jobs';
import {
  startRequestCounter,
  useIsolatedAws,
  waitFor,
  waitForMessageCount,
  waitForQueueEmpty,
  type IsolatedAws,
} from '@platform/testkit';
import { createAwsClients } from '@platform/aws-resources';
import test from 'ava';
import { submitImageJob as sendOnly } from '../../src/jobs/submit.ts';
import { startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { iterationsFor, slowFractalJob, testJob } from '../helpers/jobs.ts';

function wiring(aws: IsolatedAws): { deps: ImageJobsDeps; target: { tableName: string; queueUrl: string } } {
  return {
    deps: { ddb: aws.clients.documentClient, sqs: aws.clients.sqs, s3: aws.clients.s3 },
    target: { tableName: aws.tables.imageJobs, queueUrl: aws.urls.imageJobs },
  };
}

interface ReceivedEvent {
  contract: string;
  payload: ImageJobCompleted | ImageJobFailed;
  message: Message;
}

/** Everything on the job-events subscription queue now (received and deleted). */
async function drainEvents(aws: IsolatedAws, waitSeconds = 1): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  for (;;) {
    const { Messages = [] } = await aws.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: aws.urls.imageJobEvents,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return events;
    for (const message of Messages) {
      const decoded = decodeMessage(message);
      events.push({ contract: decoded.contract, payload: decoded.payload as ImageJobCompleted, message });
    }
    await aws.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: aws.urls.imageJobEvents,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

async function objectKeys(aws: IsolatedAws): Promise<string[]> {
  const listed = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

test('completion events: one per job, published after the ledger says COMPLETED, marker cleared', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const jobs = [testJob({ correlationId: 'ev-1' }), testJob(), testJob({ format: 'jpeg' })];
  await submitImageJobs(deps, jobs, target);
  startInProcessWorker(t, aws);

  const seen: ReceivedEvent[] = [];
  await waitFor(
    async () => {
      seen.push(...(await drainEvents(aws)));
      return seen.length >= jobs.length;
    },
    { timeoutMs: 90_000, description: '3 completion events' },
  );
  // Nothing more arrives: exactly one event per job in a normal run.
  seen.push(...(await drainEvents(aws, 2)));
  t.deepEqual(seen.map((e) => e.contract).sort(), [
    'image.job.completed',
    'image.job.completed',
    'image.job.completed',
  ]);
  t.deepEqual(seen.map((e) => e.payload.jobId).sort(), jobs.map((j) => j.jobId).sort());
  for (const event of seen) {
    const payload = event.payload as ImageJobCompleted;
    const job = await getJob(deps, payload.jobId, target);
    t.is(job?.state, 'COMPLETED');
    // Cleared after the publish, in a deferred call shared with other jobs' (the ledger's linger).
    await waitFor(async () => (await getJob(deps, payload.jobId, target))?.eventPending === false, {
      timeoutMs: 10_000,
      description: `the marker of ${payload.jobId} cleared after the publish`,
    });
    t.is(payload.sha256, job?.result?.sha256 ?? 'missing');
    t.is(payload.s3Uri, job?.result?.s3Uri ?? 'missing');
    t.is(payload.attempts, 1);
    t.true((payload.queueToCompleteMs ?? -1) >= 0);
    // The trace context in the event's attributes: tracing.test.ts (needs a tracer provider).
    t.is(event.message.MessageAttributes?.contract?.StringValue, 'image.job.completed');
  }
  t.is(seen.find((e) => e.payload.jobId === jobs[0]?.jobId)?.payload.correlationId, 'ev-1');
});

test('the marker cannot be removed: the message is not deleted, its redelivery publishes again and removes it', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  // DynamoDB through a counter that fails every try of the first marker removal (the SDK's own
  // retries included), as an outage right after the publish would.
  const ddb = await startRequestCounter({
    target: aws.endpoints.dynamodb,
    keepBodies: (r) => r.operation === 'UpdateItem' || r.operation === 'TransactWriteItems',
  });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint });
  t.teardown(async () => {
    clients.destroy();
    await ddb.close();
  });
  const removesMarker = (r: { body?: string }) =>
    /REMOVE #r0/.test(r.body ?? '') && /eventPending/.test(r.body ?? '');
  const tries = await clients.dynamodb.config.maxAttempts();
  const outage = ddb.addFault({ match: removesMarker, status: 500, times: tries });
  const job = testJob();
  await submitImageJob(deps, job, target);
  const w = startInProcessWorker(t, aws, {
    clients: { ...aws.clients, documentClient: clients.documentClient },
  });

  // The first delivery publishes, fails to remove the marker and withholds its delete; after the
  // visibility timeout (4 s) the redelivery finds COMPLETED + marker, publishes again, removes it.
  const seen: ReceivedEvent[] = [];
  await waitFor(
    async () => {
      seen.push(...(await drainEvents(aws)));
      return seen.length >= 2;
    },
    { timeoutMs: 60_000, description: 'the event, then its republication on the redelivery' },
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 30_000 });
  t.is(outage.hits, tries);
  t.deepEqual(
    seen.map((e) => e.payload.jobId),
    [job.jobId, job.jobId],
    'a duplicate event (deduped on job id by consumers), never a lost one',
  );
  const after = await getJob(deps, job.jobId, target);
  t.is(after?.state, 'COMPLETED');
  t.false(after?.eventPending, 'the marker is gone once the message is');
  t.is(after?.attempts, 1, 'rendered once');
  const acks = w.spy.events({ bindings: { jobId: job.jobId } }, 'ack');
  t.is((acks[0]?.settleError as { code?: string } | undefined)?.code, 'ACK_WITHHELD');
  t.is(acks.at(-1)?.settleError, undefined);
});

test('cancel a QUEUED job: its delivery is acknowledged without work and nothing is stored', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const job = testJob();
  await submitImageJob(deps, job, target);
  const cancelled = await cancelJob(deps, job.jobId, target);
  t.true(cancelled.kind === 'cancelled' && cancelled.previous === 'QUEUED');

  const w = startInProcessWorker(t, aws);
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 60_000 });
  await waitFor(() => w.counted('JobsCancelled') === 1, {
    description: 'JobsCancelled counted',
    timeoutMs: 10_000,
  });
  const after = await getJob(deps, job.jobId, target);
  t.is(after?.state, 'CANCELLED');
  t.is(after?.attempts, 0, 'never acquired');
  t.deepEqual(await objectKeys(aws), []);
  t.deepEqual(await drainEvents(aws), []);
});

test('cancel a running job (a slow fractal): abandoned at its next heartbeat, CANCELLED, no object in S3', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const job = slowFractalJob(await iterationsFor(15_000));
  // A lease long enough that a loaded machine's late heartbeat does not lose it first: then the
  // holder learns of the cancel from its renewal (or its fenced write before the upload).
  const w = startInProcessWorker(t, aws, {
    env: {
      MAX_FRACTAL_ITERATIONS: '1000000000',
      LEASE_DURATION_MS: '15000',
      VISIBILITY_TIMEOUT_SECONDS: '15',
    },
  });
  await submitImageJob(deps, job, target);
  await waitFor(async () => (await getJob(deps, job.jobId, target))?.state === 'PROCESSING', {
    description: 'the job PROCESSING',
    timeoutMs: 60_000,
  });
  const cancelled = await cancelJob(deps, job.jobId, { ...target, reason: 'test' });
  t.true(cancelled.kind === 'cancelled' && cancelled.previous === 'PROCESSING');

  await waitFor(() => w.logged('job cancelled while running; abandoned without side effects').length > 0, {
    description: 'the holder abandons the job',
    timeoutMs: 60_000,
  });
  // The message is settled: acknowledged as cancelled (now or on its redelivery).
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 60_000 });
  const after = await getJob(deps, job.jobId, target);
  t.is(after?.state, 'CANCELLED');
  t.is(after?.result, undefined);
  t.deepEqual(await objectKeys(aws), []);
  t.false((await drainEvents(aws)).some((e) => e.contract === 'image.job.completed'));
  t.true(w.counted('JobsCancelled') >= 1);
});

test('poison with a readable job id: DEAD_LETTERED with the reason, listed, the DLQ keeps it, a failure event', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const submitted = testJob({ template: 'no-such-template', correlationId: 'poison-corr' });
  const sqsOnly = testJob({ template: 'no-such-template' });
  await submitImageJob(deps, submitted, target);
  await sendOnly(aws.clients.sqs, aws.urls.imageJobs, sqsOnly);
  startInProcessWorker(t, aws);

  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 2, { timeoutMs: 60_000 });
  for (const job of [submitted, sqsOnly]) {
    const dead = await getJob(deps, job.jobId, target);
    t.is(dead?.state, 'DEAD_LETTERED', job.jobId);
    t.is(dead?.lastError?.code, 'TEMPLATE_UNKNOWN');
    t.false(dead?.lastError?.retryable);
  }
  const listed = await waitFor(
    async () => {
      const { jobs } = await listJobs(deps, { ...target, status: 'DEAD_LETTERED' });
      return jobs.length === 2 ? jobs : undefined;
    },
    { description: 'both listed as DEAD_LETTERED', timeoutMs: 10_000 },
  );
  t.deepEqual(listed.map((j) => j.jobId).sort(), [submitted.jobId, sqsOnly.jobId].sort());
  const events = await drainEvents(aws, 2);
  const failed = events
    .filter((e) => e.contract === 'image.job.failed')
    .map((e) => e.payload as ImageJobFailed);
  t.deepEqual(failed.map((e) => e.jobId).sort(), [submitted.jobId, sqsOnly.jobId].sort());
  t.true(failed.every((e) => e.state === 'DEAD_LETTERED' && e.reason.code === 'TEMPLATE_UNKNOWN'));
  t.is(failed.find((e) => e.jobId === submitted.jobId)?.correlationId, 'poison-corr');
});

test('transitions are conditional: a cancel loses to a completion, DEAD_LETTERED never overwrites a result or a cancel', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const w = startInProcessWorker(t, aws);
  const job = testJob();
  await submitImageJob(deps, job, target);
  await waitFor(async () => (await getJob(deps, job.jobId, target))?.state === 'COMPLETED', {
    description: 'COMPLETED',
    timeoutMs: 60_000,
  });
  const late = await cancelJob(deps, job.jobId, target);
  t.is(late.kind, 'too-late');
  t.is((await getJob(deps, job.jobId, target))?.state, 'COMPLETED');

  const ledger = w.worker.ledger;
  const refusedOverResult = await ledger.markDeadLettered(job.jobId, { error: { code: 'X', message: 'y' } });
  t.is(refusedOverResult.kind, 'refused');
  t.is(refusedOverResult.record?.status, 'COMPLETED');

  const cancelledJob = testJob();
  // Its message goes to a queue no worker reads, so the worker cannot take the job first.
  await submitImageJob(deps, cancelledJob, { ...target, queueUrl: aws.urls.imageJobsDlq });
  await cancelJob(deps, cancelledJob.jobId, target);
  t.is(
    (await ledger.markDeadLettered(cancelledJob.jobId, { error: { code: 'X', message: 'y' } })).kind,
    'refused',
  );
  t.is((await ledger.acquire(cancelledJob.jobId, 'someone')).kind, 'cancelled');
  t.is(await ledger.annotate(cancelledJob.jobId, 'COMPLETED', { set: { note: 'x' } }), undefined);
  t.is((await getJob(deps, cancelledJob.jobId, target))?.state, 'CANCELLED');
});
