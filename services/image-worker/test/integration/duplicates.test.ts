import { createAwsClients } from '@platform/aws-resources';
import {
  startRequestCounter,
  useIsolatedAws,
  waitFor,
  waitForItem,
  waitForQueueEmpty,
} from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { countedS3, putsOf, startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

const completed = (item: Record<string, unknown>) => item.status === 'COMPLETED';

test('the same jobId submitted twice: one render, one upload, both messages acknowledged', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  const job = testJob();
  // Both copies are queued before the worker starts, so it may receive them in one batch.
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, {
    ...job,
    requestedAt: new Date().toISOString(),
  });
  const w = startInProcessWorker(t, aws, { clients });

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: completed },
    { timeoutMs: 30_000 },
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 20_000 });

  t.is(w.logged('job lease acquired', job.jobId).length, 1, 'rendered once');
  t.is(putsOf(counter, item.key as string), 1, 'uploaded once');
  t.is(item.attempts, 1);
  await waitFor(() => w.counted('DuplicateDeliveries', 'card') === 1, {
    description: 'DuplicateDeliveries = 1',
    timeoutMs: 5_000,
  });
  t.is(w.counted('JobsSucceeded', 'card'), 1);
});

test('the same message redelivered (its delete failed): acknowledged as a duplicate without a second render or upload', async (t) => {
  const aws = await useIsolatedAws(t);
  const { counter, clients } = await countedS3(t, aws);
  // SQS through a second counter, whose fault makes the first ack delete fail (a DeleteMessageBatch:
  // the worker batches acks; a 400 is not retried by the SDK), exactly as if the worker had died
  // between the ledger write and the delete.
  const sqsCounter = await startRequestCounter({ target: aws.endpoints.sqs });
  const sqsClients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_SQS: sqsCounter.endpoint });
  t.teardown(async () => {
    sqsClients.destroy();
    await sqsCounter.close();
  });
  const failedDelete = sqsCounter.addFault({
    match: { service: 'sqs', operation: 'DeleteMessageBatch' },
    status: 400,
    times: 1,
  });

  const w = startInProcessWorker(t, aws, { clients: { ...clients, sqs: sqsClients.sqs } });
  const job = testJob();
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, job);

  const item = await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: job.jobId }, predicate: completed },
    { timeoutMs: 30_000 },
  );
  await waitFor(() => failedDelete.hits === 1, {
    description: 'the first delete to fail',
    timeoutMs: 10_000,
  });
  // The visibility timeout (4 s) passes, SQS delivers the same message again, the ledger says COMPLETED.
  await waitFor(() => w.counted('DuplicateDeliveries', 'card') === 1, {
    description: 'a duplicate delivery to be acknowledged',
    timeoutMs: 20_000,
  });
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });

  // The first delivery was acknowledged but its delete failed; the next was acknowledged and deleted.
  const acks = w.spy.events({ bindings: { jobId: job.jobId } }, 'ack');
  t.is(acks.length, 2);
  t.truthy(acks[0]?.settleError, 'the first ack could not delete');
  t.is(acks[1]?.settleError, undefined);
  t.true((acks[1]?.receiveCount ?? 0) > (acks[0]?.receiveCount ?? 0), 'a later receive of the same message');
  t.is(w.logged('job lease acquired', job.jobId).length, 1, 'rendered once');
  t.is(putsOf(counter, item.key as string), 1, 'uploaded once');
});
