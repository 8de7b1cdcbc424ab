import { ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_NAMES } from '@platform/contracts';
import { useIsolatedAws, waitFor, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

const envelope = {
  [ATTRIBUTE_NAMES.contract]: { DataType: 'String', StringValue: 'image.job.requested' },
  [ATTRIBUTE_NAMES.contractVersion]: { DataType: 'String', StringValue: '1' },
  [ATTRIBUTE_NAMES.contentType]: { DataType: 'String', StringValue: 'application/json' },
};

test('poison goes to the DLQ at once with its reason and is never retried', async (t) => {
  const aws = await useIsolatedAws(t);
  const w = startInProcessWorker(t, aws);
  const { sqs } = aws.clients;

  const unknownTemplate = testJob({ template: 'no-such-template' });
  const oversize = testJob({ width: 8000, height: 8000 }); // within the schema (8192), beyond the worker (4096)
  const badParams = testJob({ params: { title: 'ok', layout: 'diagonal' } });
  const schemaInvalid = { ...testJob(), width: 'wide' };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: aws.urls.imageJobs,
      MessageBody: '{"jobId": "half',
      MessageAttributes: envelope,
    }),
  );
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: aws.urls.imageJobs,
      MessageBody: JSON.stringify(schemaInvalid),
      MessageAttributes: envelope,
    }),
  );
  for (const job of [unknownTemplate, oversize, badParams])
    await submitImageJob(sqs, aws.urls.imageJobs, job);

  const dead: Message[] = [];
  await waitFor(
    async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobsDlq,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
        }),
      );
      dead.push(...Messages);
      return dead.length >= 5;
    },
    { description: '5 messages in the DLQ', timeoutMs: 30_000 },
  );
  await waitForQueueEmpty(sqs, aws.urls.imageJobs, { timeoutMs: 5_000 });

  const reasons = dead.map((m) => m.MessageAttributes?.['dlq-reason']?.StringValue).sort();
  t.deepEqual(reasons, [
    'INVALID_JSON',
    'RENDER_LIMIT_EXCEEDED',
    'SCHEMA_VIOLATION',
    'TEMPLATE_PARAMS_INVALID',
    'TEMPLATE_UNKNOWN',
  ]);
  const detailOf = (reason: string) =>
    dead.find((m) => m.MessageAttributes?.['dlq-reason']?.StringValue === reason)?.MessageAttributes?.[
      'dlq-detail'
    ]?.StringValue ?? '';
  t.regex(detailOf('TEMPLATE_UNKNOWN'), /no-such-template/);
  t.regex(detailOf('RENDER_LIMIT_EXCEEDED'), /width must be between 16 and 4096, received 8000/);
  t.regex(detailOf('TEMPLATE_PARAMS_INVALID'), /layout must be one of left, center, split/);
  t.regex(detailOf('SCHEMA_VIOLATION'), /width/);
  // The body is kept as sent, so the DLQ entry can be inspected and redriven.
  t.true(dead.some((m) => m.Body === '{"jobId": "half'));

  // Never retried: every message was settled once, on its first receive, as a dead letter.
  const settled = await waitFor(
    () => {
      const events = w.spy.events();
      return events.length >= 5 ? events : undefined;
    },
    { description: '5 settled messages', timeoutMs: 5_000 },
  );
  t.is(settled.length, 5);
  t.true(settled.every((e) => e.kind === 'dead-letter' && e.receiveCount === 1));
  // Poison with a readable job id is recorded DEAD_LETTERED with the reason, before any lease is
  // spent on it; DEAD_LETTERED stays acquirable, so a redrive after a fix works.
  for (const [job, code] of [
    [unknownTemplate, 'TEMPLATE_UNKNOWN'],
    [oversize, 'RENDER_LIMIT_EXCEEDED'],
    [badParams, 'TEMPLATE_PARAMS_INVALID'],
  ] as const) {
    const record = await w.worker.ledger.get(job.jobId);
    t.is(record?.status, 'DEAD_LETTERED');
    t.is(record?.lastError?.code, code);
    t.is(record?.attempts, 0, 'no lease was spent on it');
  }
  // The consumer dead-letters a schema violation before the handler, but its job id is readable:
  // recorded too (onPoison). Unreadable JSON names no job and leaves no record.
  const schemaRecord = await w.worker.ledger.get(schemaInvalid.jobId);
  t.is(schemaRecord?.status, 'DEAD_LETTERED');
  t.is(schemaRecord?.lastError?.code, 'SCHEMA_VIOLATION');
  t.regex(schemaRecord?.lastError?.message ?? '', /width/);
  t.is(await w.worker.ledger.get('half'), undefined);
  await waitFor(() => w.counted('JobsDeadLettered') === 5, {
    description: 'JobsDeadLettered = 5',
    timeoutMs: 5_000,
  });
});
