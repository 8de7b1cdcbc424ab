import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import {
  createIsolatedAws,
  queueCounts,
  useIsolatedAws,
  waitForItem,
  waitForMessageCount,
  waitForObject,
  waitForQueueEmpty,
} from '../../src/index.ts';

test('each call gets its own provisioned environment with a child-ready env', async (t) => {
  const [a, b] = await Promise.all([
    useIsolatedAws(t),
    useIsolatedAws(t, { queues: { imageJobs: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } } }),
  ]);
  t.not(a.envName, b.envName);
  t.regex(a.envName, /^t[0-9a-f]{10}$/);
  t.is(a.env.ENV_NAME, a.envName);
  t.is(a.env.IMAGE_JOBS_QUEUE_URL, a.urls.imageJobs);
  t.is(a.env.ASSETS_BUCKET, `${a.envName}-generated-assets`);
  t.is(a.env.S3_FORCE_PATH_STYLE, 'true');
  t.truthy(a.env.AWS_ENDPOINT_URL_DYNAMODB);

  const attributes = await b.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: b.urls.imageJobs, AttributeNames: ['All'] }),
  );
  t.is(attributes.Attributes?.VisibilityTimeout, '2');
  t.is(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}').maxReceiveCount, 3);
  const table = await a.clients.dynamodb.send(new DescribeTableCommand({ TableName: a.tables.invitations }));
  t.is(table.Table?.TableStatus, 'ACTIVE');
});

test('cleanup deletes queues, tables and the bucket with its objects', async (t) => {
  const aws = await createIsolatedAws();
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'a/b.txt', Body: 'x' }));
  await aws.cleanup();
  const probe = await useIsolatedAws(t);
  const queues = await probe.clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: aws.envName }));
  t.deepEqual(queues.QueueUrls ?? [], []);
  await t.throwsAsync(probe.clients.s3.send(new HeadBucketCommand({ Bucket: aws.bucket })));
  await t.throwsAsync(
    probe.clients.dynamodb.send(new DescribeTableCommand({ TableName: aws.tables.imageJobs })),
    {
      name: 'ResourceNotFoundException',
    },
  );
});

test('convenience waits observe items, objects and queue counts', async (t) => {
  const aws = await useIsolatedAws(t);
  const { documentClient, s3, sqs } = aws.clients;
  setTimeout(() => {
    void documentClient.send(
      new PutCommand({ TableName: aws.tables.imageJobs, Item: { jobId: 'j1', status: 'COMPLETED' } }),
    );
    void s3.send(
      new PutObjectCommand({ Bucket: aws.bucket, Key: 'out/j1.png', Body: 'png', ContentType: 'image/png' }),
    );
  }, 30);
  const item = await waitForItem(documentClient, {
    table: aws.tables.imageJobs,
    key: { jobId: 'j1' },
    predicate: (i) => i.status === 'COMPLETED',
  });
  t.is(item.status, 'COMPLETED');
  const head = await waitForObject(s3, { bucket: aws.bucket, key: 'out/j1.png' });
  t.is(head.ContentType, 'image/png');

  await waitForQueueEmpty(sqs, aws.urls.imageJobs, { timeoutMs: 1000 });
  await sqs.send(new SendMessageCommand({ QueueUrl: aws.urls.imageJobsDlq, MessageBody: '{}' }));
  t.is(await waitForMessageCount(sqs, aws.urls.imageJobsDlq, 1), 1);
  t.deepEqual(await queueCounts(sqs, aws.urls.imageJobsDlq), { visible: 1, inFlight: 0, delayed: 0 });
  const error = await t.throwsAsync(waitForQueueEmpty(sqs, aws.urls.imageJobsDlq, { timeoutMs: 100 }));
  t.regex(error.message, /queue t[0-9a-f]+-image-jobs-dlq to be empty.*"visible":1/);
});
