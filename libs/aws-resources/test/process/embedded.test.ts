import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { isProcessAlive } from '@platform/testkit';
import test from 'ava';
import { createAwsClients } from '@platform/aws-resources';
import { objectPathOnDisk, startEmbeddedAws } from '@platform/aws-resources/embedded';

// One test on purpose: it starts its own DynamoDB Local (a JVM, seconds of CPU) to prove start and stop.
test('starts both emulators, keeps S3 objects on disk, and stops leaving no java process', async (t) => {
  const s3Dir = await mkdtemp(join(tmpdir(), 'embedded-s3-'));
  t.teardown(() => rm(s3Dir, { recursive: true, force: true }));
  const aws = await startEmbeddedAws({ s3Dir });
  t.teardown(() => aws.stop());
  t.log(`start-up: ${JSON.stringify(aws.startupMs)}`);
  t.regex(aws.endpoints.sqs, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.is(aws.env.AWS_ENDPOINT_URL_DYNAMODB, aws.endpoints.dynamodb);
  t.is(aws.env.S3_FORCE_PATH_STYLE, 'true');

  const clients = createAwsClients(aws.env);
  t.teardown(() => clients.destroy());
  t.truthy((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames);
  await clients.s3.send(new CreateBucketCommand({ Bucket: 'disk-check' }));
  await clients.s3.send(new PutObjectCommand({ Bucket: 'disk-check', Key: 'a/b.png', Body: 'PNGBYTES' }));
  t.is(await readFile(objectPathOnDisk(s3Dir, 'disk-check', 'a/b.png'), 'utf8'), 'PNGBYTES');

  const pid = aws.dynamodbPid;
  if (pid === undefined) return t.fail('DynamoDB Local has no pid');
  t.regex(execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }), /DynamoDBLocal\.jar/);
  await aws.stop();
  t.false(isProcessAlive(pid), 'the JVM is gone after stop()');
  await t.throwsAsync(clients.dynamodb.send(new ListTablesCommand({})));
});
