import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import test from 'ava';
import { startRequestCounter, useIsolatedAws } from '../src/index.ts';

test('counts S3 PUTs by key and SQS operations by target', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3 });
  t.teardown(() => counter.close());
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const s3 = new S3Client({
    endpoint: counter.endpoint,
    region: aws.env.AWS_REGION,
    credentials,
    forcePathStyle: true,
  });
  const sqs = new SQSClient({ endpoint: counter.endpoint, region: aws.env.AWS_REGION, credentials });
  t.teardown(() => {
    s3.destroy();
    sqs.destroy();
  });

  await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'out/a.png', Body: 'a' }));
  await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'out/b.png', Body: 'b' }));
  await s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: 'out/a.png' }));
  await sqs.send(new SendMessageCommand({ QueueUrl: aws.urls.imageJobs, MessageBody: '{}' }));

  t.is(counter.count({ service: 's3', method: 'PUT' }), 2);
  t.is(counter.count({ method: 'PUT', key: 'out/a.png' }), 1);
  t.is(counter.count({ method: 'GET', bucket: aws.bucket }), 1);
  t.is(counter.count({ service: 'sqs', operation: 'SendMessage' }), 1);
});

test('a fault rule answers 503 for the first matching request, then passes through', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3 });
  t.teardown(() => counter.close());
  const s3 = new S3Client({
    endpoint: counter.endpoint,
    region: aws.env.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1, // see the raw fault, not the SDK's retry
  });
  t.teardown(() => s3.destroy());
  const fault = counter.addFault({ match: { method: 'PUT', key: 'x.png' }, status: 503, times: 1 });

  const put = () => s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'x.png', Body: 'x' }));
  const error = await t.throwsAsync(put());
  t.is(error.name, 'ServiceUnavailable');
  await t.notThrowsAsync(put());
  t.is(fault.hits, 1);
  t.deepEqual(
    counter.requests({ key: 'x.png' }).map((r) => [r.status, r.injected]),
    [
      [503, true],
      [200, false],
    ],
  );
});

test('a delay rule holds matching requests before forwarding them', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.dynamodb });
  t.teardown(() => counter.close());
  const fault = counter.addFault({
    match: { service: 'dynamodb', operation: 'DescribeTable' },
    delayMs: 50,
    times: 1,
  });
  const { DynamoDBClient, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const dynamodb = new DynamoDBClient({
    endpoint: counter.endpoint,
    region: aws.env.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  t.teardown(() => dynamodb.destroy());
  const result = await dynamodb.send(new DescribeTableCommand({ TableName: aws.tables.imageJobs }));
  t.is(result.Table?.TableName, aws.tables.imageJobs);
  t.is(fault.hits, 1);
  t.is(counter.count({ operation: 'DescribeTable' }), 1);
});
