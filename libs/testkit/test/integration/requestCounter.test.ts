import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import {
  startRequestCounter,
  useIsolatedAws,
  type IsolatedAws,
  type ObservedRequest,
} from '../../src/index.ts';

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

function s3Client(aws: IsolatedAws, endpoint: string, maxAttempts = 1): S3Client {
  return new S3Client({
    endpoint,
    region: aws.env.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts,
  });
}

test('a drop-after-forward rule lets the request take effect, then cuts the connection unanswered', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.dynamodb });
  t.teardown(() => counter.close());
  const dynamodb = new DynamoDBClient({
    endpoint: counter.endpoint,
    region: aws.env.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  t.teardown(() => dynamodb.destroy());
  const fault = counter.addFault({ match: { operation: 'PutItem' }, drop: 'after-forward', times: 1 });
  const settled: ObservedRequest[] = [];
  counter.onSettled((r) => settled.push(r));

  const error = await t.throwsAsync(
    dynamodb.send(
      new PutItemCommand({ TableName: aws.tables.imageJobs, Item: { jobId: { S: 'lost-answer' } } }),
    ),
  );
  t.regex(String(error.message), /socket hang up|ECONNRESET|closed/i);
  // The write took effect although the client never heard so.
  const read = await aws.clients.documentClient.send(
    new GetCommand({ TableName: aws.tables.imageJobs, Key: { jobId: 'lost-answer' }, ConsistentRead: true }),
  );
  t.is(read.Item?.jobId, 'lost-answer');
  t.is(fault.hits, 1);
  const [observed] = counter.requests({ operation: 'PutItem' });
  t.is(observed?.dropped, 'after-forward');
  t.is(observed?.status, 200);
  t.is(typeof observed?.answeredAt, 'number');
  t.deepEqual(
    settled.map((r) => [r.operation, r.dropped, r.status]),
    [['PutItem', 'after-forward', 200]],
  );
});

test('a drop-after-forward S3 PUT counts as a successful PUT of its key', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3 });
  t.teardown(() => counter.close());
  const s3 = s3Client(aws, counter.endpoint);
  t.teardown(() => s3.destroy());
  counter.addFault({ match: { method: 'PUT' }, drop: 'after-forward', times: 1 });

  await t.throwsAsync(s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'd.png', Body: 'd' })));
  const head = await aws.clients.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: 'd.png' }));
  t.is(head.ContentLength, 1);
  t.deepEqual([...counter.successfulPuts()], [[`${aws.bucket}/d.png`, 1]]);
});

test('probabilistic rules use the seeded random: same seed, same faults, about the asked share', async (t) => {
  const aws = await useIsolatedAws(t);
  const pattern = async (seed: number) => {
    const counter = await startRequestCounter({ target: aws.endpoints.s3, seed });
    const s3 = s3Client(aws, counter.endpoint);
    try {
      counter.addFault({ match: { method: 'HEAD' }, status: 503, probability: 0.3 });
      counter.addFault({ match: { method: 'HEAD' }, delayMs: 1, maxDelayMs: 5, probability: 0.5 });
      for (let i = 0; i < 60; i += 1) {
        await s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: 'none' })).catch(() => undefined);
      }
      return counter.requests().map((r) => r.injected);
    } finally {
      s3.destroy();
      await counter.close();
    }
  };
  const first = await pattern(42);
  t.deepEqual(await pattern(42), first);
  const injected = first.filter(Boolean).length;
  t.true(injected >= 6 && injected <= 36, `${injected} of 60 injected at p = 0.3`);
  t.notDeepEqual(await pattern(7), first);
});

test('If-None-Match: * is enforced like S3: the second create gets 412 PreconditionFailed', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3, enforceIfNoneMatch: true });
  t.teardown(() => counter.close());
  const s3 = s3Client(aws, counter.endpoint);
  t.teardown(() => s3.destroy());
  const put = (body: string) =>
    s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'once.png', Body: body, IfNoneMatch: '*' }));

  await put('first');
  const error = await t.throwsAsync(put('second'));
  t.is(error.name, 'PreconditionFailed');
  t.is((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 412);
  const object = await aws.clients.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: 'once.png' }));
  t.is(await object.Body?.transformToString(), 'first');
  // An unconditional PUT still overwrites, as on S3.
  await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'once.png', Body: 'third' }));
  t.deepEqual([...counter.successfulPuts()], [[`${aws.bucket}/once.png`, 2]]);
  t.deepEqual(
    counter.requests({ method: 'PUT' }).map((r) => [r.status, r.preconditionFailed ?? false]),
    [
      [200, false],
      [412, true],
      [200, false],
    ],
  );
});

test('If-None-Match: an object written around the proxy is found by a HEAD to the emulator', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3, enforceIfNoneMatch: true });
  t.teardown(() => counter.close());
  const s3 = s3Client(aws, counter.endpoint);
  t.teardown(() => s3.destroy());
  await aws.clients.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'around.png', Body: 'x' }));

  const error = await t.throwsAsync(
    s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'around.png', Body: 'y', IfNoneMatch: '*' })),
  );
  t.is(error.name, 'PreconditionFailed');
  t.is(counter.successfulPuts().size, 0);
});

test('If-None-Match: of concurrent creates through several endpoints exactly one wins', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3, enforceIfNoneMatch: true });
  t.teardown(() => counter.close());
  // Latency before the forward widens the race window the per-key lock must close.
  counter.addFault({ match: { method: 'PUT' }, delayMs: 5, maxDelayMs: 30 });
  const clients = await Promise.all(
    ['w0', 'w1', 'w2'].map(async (label) => s3Client(aws, await counter.openEndpoint(label))),
  );
  t.teardown(() => clients.forEach((c) => c.destroy()));

  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) =>
      (clients[i % clients.length] as S3Client).send(
        new PutObjectCommand({ Bucket: aws.bucket, Key: 'race.png', Body: `body-${i}`, IfNoneMatch: '*' }),
      ),
    ),
  );
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.true(results.every((r) => r.status === 'fulfilled' || (r.reason as Error).name === 'PreconditionFailed'));
  t.deepEqual([...counter.successfulPuts()], [[`${aws.bucket}/race.png`, 1]]);
  const winner = counter.requests({ method: 'PUT' }).filter((r) => r.status === 200);
  t.is(winner.length, 1);
  t.deepEqual(new Set(counter.requests({ method: 'PUT' }).map((r) => r.client)), new Set(['w0', 'w1', 'w2']));
});

test('keepBodies keeps the text of matching requests only, and the SDK attempt number is recorded', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({
    target: aws.endpoints.dynamodb,
    keepBodies: { operation: 'PutItem' },
  });
  t.teardown(() => counter.close());
  counter.addFault({ match: { operation: 'PutItem' }, status: 500, times: 1 });
  const dynamodb = new DynamoDBClient({
    endpoint: counter.endpoint,
    region: aws.env.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
  t.teardown(() => dynamodb.destroy());
  await dynamodb.send(
    new PutItemCommand({ TableName: aws.tables.imageJobs, Item: { jobId: { S: 'kept' } } }),
  );
  await dynamodb.send(new DescribeTableCommand({ TableName: aws.tables.imageJobs }));
  const puts = counter.requests({ operation: 'PutItem' });
  t.deepEqual(
    puts.map((r) => r.attempt),
    [1, 2],
  );
  t.true(puts.every((r) => r.body?.includes('"kept"') === true));
  t.is(counter.requests({ operation: 'DescribeTable' })[0]?.body, undefined);
});

/** SigV4's `X-Amz-Date` form of an epoch ms (seconds resolution). */
const amzDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

test('request expiry is enforced like S3: a presigned request after X-Amz-Date + X-Amz-Expires gets 403 and takes no effect', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({
    target: aws.endpoints.s3,
    enforceRequestExpiry: true,
    enforceIfNoneMatch: true,
  });
  t.teardown(() => counter.close());
  // The proxy reads only the expiry parameters (fauxqs checks no signature, so none is needed here).
  const put = (key: string, signedAt: number, expiresIn: number) =>
    fetch(
      `${counter.endpoint}/${aws.bucket}/${key}?X-Amz-Date=${amzDate(signedAt)}&X-Amz-Expires=${expiresIn}&X-Amz-Signature=0`,
      { method: 'PUT', body: 'bytes', headers: { 'if-none-match': '*' } },
    );

  const late = await put('late.png', Date.now() - 10_000, 5);
  t.is(late.status, 403);
  const text = await late.text();
  t.regex(text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  const inTime = await put('in-time.png', Date.now(), 60);
  t.is(inTime.status, 200);
  await inTime.arrayBuffer();

  t.deepEqual([...counter.successfulPuts()], [[`${aws.bucket}/in-time.png`, 1]]);
  t.deepEqual(
    counter.requests({ method: 'PUT' }).map((r) => [r.key, r.status, r.expired ?? false]),
    [
      ['late.png', 403, true],
      ['in-time.png', 200, false],
    ],
  );
  await t.throwsAsync(aws.clients.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: 'late.png' })));
  // A presigned create is still a create: If-None-Match guards it.
  const again = await put('in-time.png', Date.now(), 60);
  t.is(again.status, 412);
});

test('request expiry: latency injected before S3 counts, as it would on the network', async (t) => {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3, enforceRequestExpiry: true });
  t.teardown(() => counter.close());
  // Signed to expire at the next whole second, then held 1.2 s on the way.
  counter.addFault({ match: { method: 'GET' }, delayMs: 1_200 });
  const signedAt = Math.floor(Date.now() / 1000) * 1000;
  const answer = await fetch(
    `${counter.endpoint}/${aws.bucket}/missing.png?X-Amz-Date=${amzDate(signedAt)}&X-Amz-Expires=1`,
  );
  t.is(answer.status, 403);
  await answer.arrayBuffer();
  t.true(counter.requests({ method: 'GET' })[0]?.expired);
});
