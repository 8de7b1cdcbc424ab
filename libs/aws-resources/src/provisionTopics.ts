import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  type SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TopicDefinition } from './definition.ts';
import { sdkErrorInfo } from '@platform/errors';
import { isUnsupportedOperation, ProvisionError } from './errors.ts';
import type { ProvisionedQueue } from './provisionQueues.ts';
import { newReport, type ResourceReport } from './report.ts';

export interface ProvisionedTopic {
  name: string;
  arn: string;
}

/**
 * A topic, its policy (which AWS services may publish), and one raw-delivery SQS subscription per
 * subscribed queue with the queue policy that lets only this topic send to that queue. CreateTopic
 * and Subscribe are idempotent on AWS; subscriptions are listed first so the report says what changed.
 */
export async function provisionTopic(
  clients: { sns: SNSClient; sqs: SQSClient },
  topic: TopicDefinition,
  queues: readonly ProvisionedQueue[],
): Promise<{ topic: ProvisionedTopic; reports: ResourceReport[] }> {
  const report = newReport('topic', topic.name);
  const existed = await topicExists(clients.sns, topic.name);
  let arn: string | undefined;
  try {
    arn = (await clients.sns.send(new CreateTopicCommand({ Name: topic.name }))).TopicArn;
  } catch (err) {
    throw new ProvisionError(topic.name, 'CreateTopic failed', { cause: err });
  }
  if (arn === undefined) throw new ProvisionError(topic.name, 'CreateTopic returned no TopicArn');
  if (!existed) report.action = 'created';

  await ensureTopicPolicy(clients.sns, topic, arn, report);
  const existing = await listSubscriptions(clients.sns, arn, topic.name);
  for (const queue of queues) {
    await ensureQueuePolicy(clients.sqs, queue, arn, report);
    const found = existing.find((s) => s.Protocol === 'sqs' && s.Endpoint === queue.arn);
    if (found !== undefined) continue;
    try {
      await clients.sns.send(
        new SubscribeCommand({
          TopicArn: arn,
          Protocol: 'sqs',
          Endpoint: queue.arn,
          // The queue receives the published JSON itself, not wrapped in an SNS notification.
          Attributes: { RawMessageDelivery: 'true' },
          ReturnSubscriptionArn: true,
        }),
      );
    } catch (err) {
      throw new ProvisionError(topic.name, `Subscribe ${queue.name} failed`, { cause: err });
    }
    if (report.action === 'kept') report.action = 'updated';
    report.changes.push(`subscribed ${queue.name} (sqs, raw delivery)`);
  }
  return { topic: { name: topic.name, arn }, reports: [report] };
}

async function topicExists(sns: SNSClient, name: string): Promise<boolean> {
  let NextToken: string | undefined;
  try {
    do {
      const page = await sns.send(new ListTopicsCommand(NextToken === undefined ? {} : { NextToken }));
      if ((page.Topics ?? []).some((t) => t.TopicArn?.endsWith(`:${name}`))) return true;
      NextToken = page.NextToken;
    } while (NextToken !== undefined && NextToken !== '');
  } catch (err) {
    throw new ProvisionError(name, 'ListTopics failed', { cause: err });
  }
  return false;
}

async function listSubscriptions(sns: SNSClient, topicArn: string, name: string): Promise<Subscription[]> {
  // ListSubscriptions (not ...ByTopic) so the same call works on every endpoint; it pages by 100.
  const found: Subscription[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const page = await sns.send(new ListSubscriptionsCommand(NextToken === undefined ? {} : { NextToken }));
      found.push(...(page.Subscriptions ?? []).filter((s) => s.TopicArn === topicArn));
      NextToken = page.NextToken;
    } while (NextToken !== undefined && NextToken !== '');
  } catch (err) {
    throw new ProvisionError(name, 'ListSubscriptions failed', { cause: err });
  }
  return found;
}

/** arn:aws:sns:<region>:<account>:<name> -> account. */
function accountOf(arn: string): string | undefined {
  return arn.split(':')[4] || undefined;
}

function topicPolicy(topic: TopicDefinition, arn: string): string {
  const account = accountOf(arn);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: topic.publisherServices.map((service, i) => ({
      Sid: `AllowPublishFrom${i}`,
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sns:Publish',
      Resource: arn,
      // Confused-deputy guard: only resources of this account may make the service publish here.
      ...(account === undefined ? {} : { Condition: { StringEquals: { 'aws:SourceAccount': account } } }),
    })),
  });
}

async function ensureTopicPolicy(
  sns: SNSClient,
  topic: TopicDefinition,
  arn: string,
  report: ResourceReport,
): Promise<void> {
  if (topic.publisherServices.length === 0) return;
  const wanted = topicPolicy(topic, arn);
  try {
    const current = (await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes?.Policy;
    if (current !== undefined && samePolicy(current, wanted)) return;
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: wanted }),
    );
    if (report.action === 'kept') report.action = 'updated';
    report.changes.push(`topic policy: publish by ${topic.publisherServices.join(', ')}`);
  } catch (err) {
    if (!isUnsupportedOperation(err)) throw new ProvisionError(topic.name, 'topic policy', { cause: err });
    report.notes.push('endpoint does not support topic policies');
  }
}

function queuePolicy(queue: ProvisionedQueue, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowTopicToSend',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queue.arn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  });
}

async function ensureQueuePolicy(
  sqs: SQSClient,
  queue: ProvisionedQueue,
  topicArn: string,
  report: ResourceReport,
): Promise<void> {
  const wanted = queuePolicy(queue, topicArn);
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }),
    );
    if (Attributes?.Policy !== undefined && samePolicy(Attributes.Policy, wanted)) return;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: wanted } }));
    if (report.action === 'kept') report.action = 'updated';
    report.changes.push(`queue policy of ${queue.name}: send by this topic only`);
  } catch (err) {
    if (!isUnsupportedOperation(err) && sdkErrorInfo(err).name !== 'InvalidAttributeName')
      throw new ProvisionError(queue.name, 'queue policy', { cause: err });
    report.notes.push(`endpoint does not support queue policies (${queue.name})`);
  }
}

/** AWS returns policies re-serialised (key order, spacing), so compare parsed documents. */
function samePolicy(a: string, b: string): boolean {
  try {
    return JSON.stringify(sortKeys(JSON.parse(a))) === JSON.stringify(sortKeys(JSON.parse(b)));
  } catch {
    return false;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}
