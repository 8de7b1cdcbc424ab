import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsCommand, PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sharedAws } from '@platform/testkit';
import test from 'ava';
import {
  createAwsClients,
  defineResources,
  formatReport,
  provision,
  resourceEnv,
  type AwsClients,
} from '../../src/index.ts';

// Provisioning is what the testkit itself is built on, so these tests use only the shared emulators
// and a unique environment name each, not useIsolatedAws.
async function setup(t: {
  teardown(fn: () => void): void;
}): Promise<{ clients: AwsClients; envName: string }> {
  const aws = await sharedAws();
  const clients = createAwsClients(aws.env);
  t.teardown(() => clients.destroy());
  return { clients, envName: `p${randomBytes(5).toString('hex')}` };
}

const quiet = { log: () => {} };

test('a second run keeps everything and reports no changes', async (t) => {
  const { clients, envName } = await setup(t);
  const resources = defineResources({ envName });
  const first = await provision(clients, resources, quiet);
  t.true(first.changed);
  t.true(first.report.every((r) => r.action === 'created'));
  t.is(first.report.length, 17); // 5 queues + 5 DLQs + 2 topics + 4 tables + 1 bucket

  const printed: string[] = [];
  const second = await provision(clients, resources, { log: (text) => printed.push(text) });
  t.false(second.changed);
  t.deepEqual(
    second.report.map((r) => [r.name, r.action]),
    first.report.map((r) => [r.name, 'kept']),
  );
  t.deepEqual(second.queues, first.queues);
  t.regex(printed.join('\n'), /0 created, 0 updated, 17 kept/);
});

test('queue attributes, redrive, TTL and GSI are really set', async (t) => {
  const { clients, envName } = await setup(t);
  const provisioned = await provision(clients, defineResources({ envName }), quiet);
  const { imageJobs } = provisioned.queues;
  const main =
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: imageJobs.url, AttributeNames: ['All'] }),
      )
    ).Attributes ?? {};
  t.is(main.VisibilityTimeout, '60');
  t.is(main.ReceiveMessageWaitTimeSeconds, '20');
  t.is(main.SqsManagedSseEnabled, 'true');
  t.deepEqual(JSON.parse(main.RedrivePolicy ?? '{}'), {
    deadLetterTargetArn: imageJobs.dlqArn,
    maxReceiveCount: 20,
  });
  const dlq =
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: imageJobs.dlqUrl, AttributeNames: ['All'] }),
      )
    ).Attributes ?? {};
  t.is(dlq.MessageRetentionPeriod, '1209600');
  const inviteEvents =
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: provisioned.queues.inviteEvents.url,
          AttributeNames: ['RedrivePolicy'],
        }),
      )
    ).Attributes ?? {};
  t.is(JSON.parse(inviteEvents.RedrivePolicy ?? '{}').maxReceiveCount, 10);

  const table = (
    await clients.dynamodb.send(new DescribeTableCommand({ TableName: provisioned.tables.invitations.name }))
  ).Table;
  t.is(table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  t.deepEqual(table?.KeySchema, [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  t.deepEqual(
    table?.GlobalSecondaryIndexes?.map((g) => [
      g.IndexName,
      g.KeySchema?.map((k) => k.AttributeName),
      g.Projection?.ProjectionType,
    ]),
    [['gsi1', ['gsi1pk', 'gsi1sk'], 'ALL']],
  );
  for (const [name, attribute] of [
    [provisioned.tables.imageJobs.name, 'expiresAt'],
    [provisioned.tables.invitations.name, 'ttl'],
    [provisioned.tables.smsMessages.name, 'ttl'],
  ] as const) {
    const ttl = (await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name })))
      .TimeToLiveDescription;
    t.is(ttl?.TimeToLiveStatus, 'ENABLED', name);
    t.is(ttl?.AttributeName, attribute, name);
  }
  await t.notThrowsAsync(clients.s3.send(new HeadBucketCommand({ Bucket: provisioned.bucket.name })));
});

test('the queue URLs in resourceEnv reach the queues', async (t) => {
  const { clients, envName } = await setup(t);
  const env = resourceEnv(await provision(clients, defineResources({ envName }), quiet));
  t.is(env.ENV_NAME, envName);
  t.is(env.INVITATIONS_TABLE, `${envName}-invitations`);
  await clients.sqs.send(
    new SendMessageCommand({ QueueUrl: env.SMS_REQUESTS_QUEUE_URL, MessageBody: 'hello' }),
  );
  const received = await clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: env.SMS_REQUESTS_QUEUE_URL, WaitTimeSeconds: 1 }),
  );
  t.is(received.Messages?.[0]?.Body, 'hello');
});

test('the sms-events topic delivers to its queue raw, and the queue admits only that topic', async (t) => {
  const { clients, envName } = await setup(t);
  const provisioned = await provision(clients, defineResources({ envName }), quiet);
  const env = resourceEnv(provisioned);
  t.is(env.SMS_EVENTS_TOPIC_ARN, provisioned.topics.smsEvents.arn);
  const event = JSON.stringify({ eventType: 'TEXT_DELIVERED', messageId: 'm-1' });
  await clients.sns.send(new PublishCommand({ TopicArn: env.SMS_EVENTS_TOPIC_ARN, Message: event }));
  const received = await clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: env.SMS_EVENTS_QUEUE_URL, WaitTimeSeconds: 5 }),
  );
  // Raw message delivery: the body is what was published, not an SNS notification envelope.
  t.is(received.Messages?.[0]?.Body, event);
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: env.SMS_EVENTS_QUEUE_URL, AttributeNames: ['Policy'] }),
  );
  const policy = JSON.parse(Attributes?.Policy ?? '{}') as {
    Statement: { Condition: { ArnEquals: Record<string, string> } }[];
  };
  t.is(policy.Statement[0]?.Condition.ArnEquals['aws:SourceArn'], env.SMS_EVENTS_TOPIC_ARN);
});

test('a changed visibility timeout and maxReceiveCount are updated in place', async (t) => {
  const { clients, envName } = await setup(t);
  await provision(clients, defineResources({ envName }), quiet);
  const changed = defineResources({
    envName,
    overrides: { queues: { imageJobs: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } } },
  });
  const result = await provision(clients, changed, quiet);
  const updated = result.report.filter((r) => r.action === 'updated');
  t.deepEqual(
    updated.map((r) => r.name),
    [`${envName}-image-jobs`],
  );
  t.is(updated[0]?.changes.length, 2);
  t.regex(
    formatReport(result.report),
    /updated queue\s+\S+-image-jobs\s+VisibilityTimeout 60 -> 2; RedrivePolicy maxReceiveCount=20 .* -> maxReceiveCount=3/,
  );
  const attributes =
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: result.queues.imageJobs.url, AttributeNames: ['All'] }),
      )
    ).Attributes ?? {};
  t.is(attributes.VisibilityTimeout, '2');
  t.is(JSON.parse(attributes.RedrivePolicy ?? '{}').maxReceiveCount, 3);
  t.false((await provision(clients, changed, quiet)).changed);
});

test('the job events topic delivers raw bodies and attributes to its subscribed queue, with a policy that allows it', async (t) => {
  const { clients, envName } = await setup(t);
  const provisioned = await provision(clients, defineResources({ envName }), quiet);
  const topic = provisioned.topics.imageJobEvents;
  t.regex(topic.arn, new RegExp(`:${envName}-image-job-events$`));
  const subscriptions = (await clients.sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? [];
  t.deepEqual(
    subscriptions.filter((s) => s.TopicArn === topic.arn).map((s) => [s.Protocol, s.Endpoint]),
    [['sqs', provisioned.queues.imageJobEvents.arn]],
  );

  const queueUrl = provisioned.queues.imageJobEvents.url;
  const policy = JSON.parse(
    (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['Policy'] }),
      )
    ).Attributes?.Policy ?? '{}',
  ) as { Statement: Array<{ Condition: unknown; Principal: unknown }> };
  t.deepEqual(policy.Statement[0]?.Principal, { Service: 'sns.amazonaws.com' });
  t.deepEqual(policy.Statement[0]?.Condition, { ArnEquals: { 'aws:SourceArn': topic.arn } });

  await clients.sns.send(
    new PublishCommand({
      TopicArn: topic.arn,
      Message: '{"jobId":"j-1"}',
      MessageAttributes: {
        contract: { DataType: 'String', StringValue: 'image.job.completed' },
        traceparent: {
          DataType: 'String',
          StringValue: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      },
    }),
  );
  const { Messages = [] } = await clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }),
  );
  t.is(Messages[0]?.Body, '{"jobId":"j-1"}');
  t.is(Messages[0]?.MessageAttributes?.contract?.StringValue, 'image.job.completed');
  t.regex(Messages[0]?.MessageAttributes?.traceparent?.StringValue ?? '', /^00-0af7651916cd43dd/);
});
