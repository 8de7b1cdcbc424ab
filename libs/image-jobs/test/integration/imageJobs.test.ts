import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from '@platform/aws-resources';
import { ContractViolation, decodeMessage, type ImageJobRequested } from '@platform/contracts';
import { queueCounts, startRequestCounter, useIsolatedAws, type IsolatedAws } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import {
  ATTENTION_INDEX,
  cancelJob,
  getJob,
  InvalidOptionError,
  JobIdConflictError,
  JobNotCompletedError,
  JobNotFoundError,
  JobNotResubmittableError,
  listJobs,
  resubmitImageJob,
  resultUrl,
  submitImageJob,
  submitImageJobs,
  SubmitSendError,
  type ImageJobsDeps,
} from '../../src/index.ts';

function job(overrides: Partial<ImageJobRequested> = {}): ImageJobRequested {
  return {
    jobId: `lib-${randomUUID()}`,
    template: 'card',
    width: 320,
    height: 168,
    format: 'png',
    params: { title: 'Library test' },
    requestedAt: new Date().toISOString(),
    requestedBy: 'test',
    correlationId: 'corr-1',
    ...overrides,
  };
}

function wiring(aws: IsolatedAws): { deps: ImageJobsDeps; target: { tableName: string; queueUrl: string } } {
  return {
    deps: { ddb: aws.clients.documentClient, sqs: aws.clients.sqs, s3: aws.clients.s3 },
    target: { tableName: aws.tables.imageJobs, queueUrl: aws.urls.imageJobs },
  };
}

async function receiveAll(aws: IsolatedAws) {
  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.urls.imageJobs,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function visibleMessages(aws: IsolatedAws): Promise<number> {
  return (await queueCounts(aws.clients.sqs, aws.urls.imageJobs)).visible;
}

test('submit records the job QUEUED with its request, then sends one contract message', async (t) => {
  // Prepare
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  // Act
  const result = await submitImageJob(deps, request, target);
  // Assess
  t.is(result.kind, 'submitted');
  const stored = await getJob(deps, request.jobId, target);
  t.is(stored?.state, 'QUEUED');
  t.deepEqual(stored?.request, request);
  t.is(stored?.correlationId, 'corr-1');
  t.is(stored?.attempts, 0);
  t.true((stored?.queuedAt ?? 0) > 0);
  t.true((stored?.messageSentAt ?? 0) >= (stored?.queuedAt ?? Infinity));
  const [message, ...more] = await receiveAll(aws);
  t.is(more.length, 0);
  const decoded = decodeMessage(message ?? {});
  t.is(decoded.contract, 'image.job.requested');
  t.deepEqual(decoded.payload, request);
  t.is(stored?.messageId, message?.MessageId);
});

test('a second submit of the same job returns the existing job and sends nothing', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  await submitImageJob(deps, request, target);
  // A retrying producer regenerates requestedAt and its request id: still the same job.
  const again = await submitImageJob(
    deps,
    { ...request, requestedAt: new Date(Date.now() + 5000).toISOString(), correlationId: 'corr-2' },
    target,
  );
  t.is(again.kind, 'existing');
  t.is(again.messageId, undefined);
  t.is(again.job.correlationId, 'corr-1', 'the first submit is kept');
  t.is(await visibleMessages(aws), 1);
});

test('a different request under a used job id is refused with JobIdConflictError and sends nothing', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  await submitImageJob(deps, request, target);
  const error = await t.throwsAsync(
    submitImageJob(deps, { ...request, params: { title: 'Another image' }, width: 640 }, target),
    { instanceOf: JobIdConflictError },
  );
  t.is(error?.code, 'JOB_ID_CONFLICT');
  t.deepEqual([...(error?.differingFields ?? [])].sort(), ['params', 'width']);
  t.is(error?.existing.request?.params.title, 'Library test');
  t.is(await visibleMessages(aws), 1);
});

test('an invalid job is refused by the contract before anything is written', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const bad = job({ jobId: 'has/slash' });
  await t.throwsAsync(submitImageJob(deps, bad, target), { instanceOf: ContractViolation });
  t.is(await getJob(deps, 'has/slash', target), undefined);
  t.is(await visibleMessages(aws), 0);
});

/** Clients whose SQS requests go through a proxy that answers SendMessage with 503. */
async function sqsDown(t: ExecutionContext, aws: IsolatedAws): Promise<ImageJobsDeps> {
  const counter = await startRequestCounter({ target: aws.endpoints.sqs });
  counter.addFault({ match: { service: 'sqs', operation: 'SendMessage' }, status: 503 });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_SQS: counter.endpoint });
  t.teardown(async () => {
    clients.destroy();
    await counter.close();
  });
  return { ddb: aws.clients.documentClient, sqs: clients.sqs };
}

test('a send that fails after the ledger write leaves a QUEUED record without a message, which resubmit sends', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  // Act: the queue is unreachable between the ledger write and the send (as a crash there leaves it).
  const error = await t.throwsAsync(submitImageJob(await sqsDown(t, aws), request, target), {
    instanceOf: SubmitSendError,
  });
  t.regex(error?.message ?? '', /recorded QUEUED but its message was not sent/);
  const stranded = await getJob(deps, request.jobId, target);
  t.is(stranded?.state, 'QUEUED');
  t.is(stranded?.messageSentAt, undefined, 'status can tell the message never went out');
  t.is(await visibleMessages(aws), 0);
  // Repair.
  const resent = await resubmitImageJob(deps, request.jobId, target);
  t.truthy(resent.messageId);
  t.truthy(resent.job.messageSentAt);
  const [message] = await receiveAll(aws);
  t.deepEqual(decodeMessage(message ?? {}).payload, request);
});

test('submitting the same job again also heals a submit whose message never went out', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  await t.throwsAsync(submitImageJob(await sqsDown(t, aws), request, target), {
    instanceOf: SubmitSendError,
  });
  const again = await submitImageJob(deps, request, target);
  t.is(again.kind, 'existing');
  t.truthy(again.messageId);
  t.is(await visibleMessages(aws), 1);
});

test('resubmit refuses jobs that are not QUEUED, and unknown jobs, with typed errors', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  await t.throwsAsync(resubmitImageJob(deps, 'nope', target), { instanceOf: JobNotFoundError });
  const request = job();
  await submitImageJob(deps, request, target);
  await cancelJob(deps, request.jobId, target);
  const error = await t.throwsAsync(resubmitImageJob(deps, request.jobId, target), {
    instanceOf: JobNotResubmittableError,
  });
  t.is(error?.state, 'CANCELLED');
  t.regex(error?.message ?? '', /only under a new job id/);
});

test('a batch reports per item: a bad job does not fail its neighbours', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const good = [job(), job()];
  const results = await submitImageJobs(deps, [good[0]!, job({ width: 0 }), good[1]!], {
    ...target,
    concurrency: 2,
  });
  t.deepEqual(
    results.map((r) => r.ok),
    [true, false, true],
  );
  t.true(results[1]?.ok === false && results[1].error instanceof ContractViolation);
  t.is(await visibleMessages(aws), 2);
  await t.throwsAsync(submitImageJobs(deps, good, { ...target, concurrency: 0 }), {
    instanceOf: InvalidOptionError,
  });
});

test('cancel: QUEUED -> CANCELLED once; listed through the sparse index; a finished job is too late', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const queued = job();
  const other = job();
  await submitImageJobs(deps, [queued, other], target);

  const cancelled = await cancelJob(deps, queued.jobId, { ...target, reason: 'mistake' });
  t.is(cancelled.kind, 'cancelled');
  t.true(cancelled.kind === 'cancelled' && cancelled.previous === 'QUEUED');
  t.is(cancelled.job.state, 'CANCELLED');
  t.is((await cancelJob(deps, queued.jobId, target)).kind, 'already-cancelled');
  await t.throwsAsync(cancelJob(deps, 'never-submitted', target), { instanceOf: JobNotFoundError });

  // A job a worker already completed (as the worker's ledger stores it) cannot be cancelled.
  const done = `lib-${randomUUID()}`;
  await aws.clients.documentClient.send(
    new PutCommand({
      TableName: target.tableName,
      Item: { jobId: done, status: 'COMPLETED', attempts: 1, version: 3, completedAt: Date.now() },
    }),
  );
  const late = await cancelJob(deps, done, target);
  t.is(late.kind, 'too-late');
  t.is(late.job.state, 'COMPLETED');

  const listed = await listJobs(deps, { ...target, status: 'CANCELLED', since: Date.now() - 60_000 });
  t.deepEqual(
    listed.jobs.map((j) => j.jobId),
    [queued.jobId],
  );
  t.false(listed.truncated);
  t.deepEqual((await listJobs(deps, { ...target, status: 'FAILED' })).jobs, []);
  // Sparse: only the cancelled job is in the index at all; QUEUED and COMPLETED items write nothing to it.
  const indexed = await aws.clients.documentClient.send(
    new ScanCommand({ TableName: target.tableName, IndexName: ATTENTION_INDEX }),
  );
  t.deepEqual(
    (indexed.Items ?? []).map((i) => String(i.jobId)),
    [queued.jobId],
  );
  await t.throwsAsync(listJobs(deps, { ...target, status: 'QUEUED' as 'FAILED' }), {
    instanceOf: InvalidOptionError,
  });
});

test('resultUrl refuses every state but COMPLETED with a typed error naming the state', async (t) => {
  const aws = await useIsolatedAws(t);
  const { deps, target } = wiring(aws);
  const request = job();
  await submitImageJob(deps, request, target);
  const error = await t.throwsAsync(resultUrl(deps, request.jobId, target), {
    instanceOf: JobNotCompletedError,
  });
  t.is(error?.state, 'QUEUED');
  await cancelJob(deps, request.jobId, target);
  t.is(
    (await t.throwsAsync(resultUrl(deps, request.jobId, target), { instanceOf: JobNotCompletedError }))
      ?.state,
    'CANCELLED',
  );
  await t.throwsAsync(resultUrl(deps, 'unknown-job', target), { instanceOf: JobNotFoundError });
  await t.throwsAsync(resultUrl(deps, request.jobId, { ...target, expiresInSeconds: 8 * 24 * 3600 }), {
    instanceOf: InvalidOptionError,
    message: /7 days/,
  });
});
