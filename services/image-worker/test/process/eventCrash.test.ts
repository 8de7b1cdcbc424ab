import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { decodeMessage } from '@platform/contracts';
import { getJob, submitImageJob } from '@platform/image-jobs';
import { startRequestCounter, useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import { testJob } from '../helpers/jobs.ts';
import { startWorkerProcess } from '../helpers/processWorker.ts';

test('SIGKILL between the ledger COMPLETED and the publish: the redelivery publishes the completion event', async (t) => {
  // Prepare: worker A's SNS requests go through a proxy that holds every Publish (then answers
  // 503 and never forwards it), so A records COMPLETED and is killed while its publish is in flight.
  const aws = await useIsolatedAws(t);
  const sns = await startRequestCounter({ target: aws.endpoints.sns });
  t.teardown(() => sns.close());
  sns.addFault({ match: { service: 'sns', operation: 'Publish' }, delayMs: 120_000, status: 503 });
  const deps = { ddb: aws.clients.documentClient, sqs: aws.clients.sqs };
  const target = { tableName: aws.tables.imageJobs, queueUrl: aws.urls.imageJobs };
  const job = testJob();

  const first = await startWorkerProcess(t, aws, 'worker-a', { AWS_ENDPOINT_URL_SNS: sns.endpoint });
  await submitImageJob(deps, job, target);
  await waitFor(() => sns.count({ operation: 'Publish' }) > 0, {
    description: 'A publishing',
    timeoutMs: 60_000,
  });
  // Act
  await first.kill('SIGKILL');
  const recorded = await getJob(deps, job.jobId, target);
  t.is(recorded?.state, 'COMPLETED');
  t.true(recorded?.eventPending, 'the marker set with COMPLETED is still there');

  await startWorkerProcess(t, aws, 'worker-b');
  // Assess: B gets the redelivery (after A's visibility runs out), finds COMPLETED + marker, publishes.
  const event = await waitFor(
    async () => {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobEvents,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      const message = Messages[0];
      if (message === undefined) return undefined;
      await aws.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: aws.urls.imageJobEvents, ReceiptHandle: message.ReceiptHandle }),
      );
      return decodeMessage(message);
    },
    { description: 'the completion event', timeoutMs: 60_000 },
  );
  if (event.contract !== 'image.job.completed') return t.fail(`unexpected ${event.contract} event`);
  t.is(event.payload.jobId, job.jobId);
  await waitFor(async () => (await getJob(deps, job.jobId, target))?.eventPending === false, {
    description: 'the marker cleared',
    timeoutMs: 10_000,
  });
  t.is((await getJob(deps, job.jobId, target))?.attempts, 1, 'the job itself ran once');
});
