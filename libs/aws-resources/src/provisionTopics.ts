import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueKey, TopicDefinition, TopicKey } from './definition.ts';
import { ProvisionError } from './errors.ts';
import type { ProvisionedQueue } from './provisionQueues.ts';
import { newReport, type ResourceReport } from './report.ts';

export interface ProvisionedTopic {
  name: string;
  arn: string;
  subscriptions: Array<{ queue: QueueKey; arn: string }>;
}

/** Our statement in a subscribed queue's policy; statements with other Sids are left alone. */
export const SNS_DELIVERY_POLICY_SID = 'AllowPlatformTopicsToSend';

/**
 * Topics, their SQS subscriptions and the queue policies that let SNS deliver, brought to the
 * definition. Runs after the queues exist (subscriptions name them by ARN). General on purpose: any
 * topic in the definition with any number of queue subscriptions goes through here.
 */
export async function provisionTopics(
  clients: { sns: SNSClient; sqs: SQSClient },
  topics: Readonly<Record<TopicKey, TopicDefinition>>,
  queues: Readonly<Record<QueueKey, ProvisionedQueue>>,
): Promise<{ topics: Record<TopicKey, ProvisionedTopic>; reports: ResourceReport[] }> {
  const existing = await listTopicArns(clients.sns);
  const reports: ResourceReport[] = [];
  const provisioned = {} as Record<TopicKey, ProvisionedTopic>;
  // Which topics deliver to each queue: one policy statement per queue names them all.
  const sendersByQueue = new Map<QueueKey, string[]>();

  for (const topic of Object.values(topics)) {
    const report = newReport('topic', topic.name);
    let arn = existing.get(topic.name);
    if (arn === undefined) {
      // CreateTopic is idempotent on AWS (same name and attributes return the same ARN).
      const created = await clients.sns.send(new CreateTopicCommand({ Name: topic.name }));
      if (created.TopicArn === undefined)
        throw new ProvisionError(topic.name, 'CreateTopic returned no TopicArn');
      arn = created.TopicArn;
      report.action = 'created';
    }
    reports.push(report);
    const subscriptions: ProvisionedTopic['subscriptions'] = [];
    const current = await listSqsSubscriptions(clients.sns, arn);
    for (const subscription of topic.subscriptions) {
      const queue = queues[subscription.queue];
      const subReport = newReport('subscription', `${topic.name} -> ${queue.name}`);
      const wantRaw = String(subscription.rawMessageDelivery);
      let subscriptionArn = current.get(queue.arn);
      if (subscriptionArn === undefined) {
        const subscribed = await clients.sns.send(
          new SubscribeCommand({
            TopicArn: arn,
            Protocol: 'sqs',
            Endpoint: queue.arn,
            Attributes: { RawMessageDelivery: wantRaw },
            // Same-account SQS subscriptions are confirmed at once; return the real ARN, not "pending confirmation".
            ReturnSubscriptionArn: true,
          }),
        );
        if (subscribed.SubscriptionArn === undefined)
          throw new ProvisionError(subReport.name, 'Subscribe returned no SubscriptionArn');
        subscriptionArn = subscribed.SubscriptionArn;
        subReport.action = 'created';
      } else {
        const { Attributes = {} } = await clients.sns.send(
          new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
        );
        const haveRaw = Attributes.RawMessageDelivery ?? 'false';
        if (haveRaw !== wantRaw) {
          await clients.sns.send(
            new SetSubscriptionAttributesCommand({
              SubscriptionArn: subscriptionArn,
              AttributeName: 'RawMessageDelivery',
              AttributeValue: wantRaw,
            }),
          );
          subReport.action = 'updated';
          subReport.changes.push(`RawMessageDelivery ${haveRaw} -> ${wantRaw}`);
        }
      }
      subscriptions.push({ queue: subscription.queue, arn: subscriptionArn });
      sendersByQueue.set(subscription.queue, [...(sendersByQueue.get(subscription.queue) ?? []), arn]);
      reports.push(subReport);
    }
    provisioned[topic.key] = { name: topic.name, arn, subscriptions };
  }

  for (const [queueKey, topicArns] of sendersByQueue) {
    const queue = queues[queueKey];
    const change = await ensureDeliveryPolicy(clients.sqs, queue, topicArns);
    if (change === undefined) continue;
    // Report the policy on the subscription rows of this queue (the reason it exists).
    for (const report of reports.filter(
      (r) => r.kind === 'subscription' && r.name.endsWith(`-> ${queue.name}`),
    )) {
      if (report.action === 'kept') report.action = 'updated';
      report.changes.push(change);
    }
  }
  return { topics: provisioned, reports };
}

async function listTopicArns(sns: SNSClient): Promise<Map<string, string>> {
  const byName = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }));
    for (const { TopicArn } of page.Topics ?? []) {
      // arn:aws:sns:<region>:<account>:<name>
      if (TopicArn !== undefined) byName.set(TopicArn.slice(TopicArn.lastIndexOf(':') + 1), TopicArn);
    }
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return byName;
}

/** Queue ARN -> subscription ARN for the topic's confirmed SQS subscriptions. */
async function listSqsSubscriptions(sns: SNSClient, topicArn: string): Promise<Map<string, string>> {
  const byEndpoint = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    for (const s of page.Subscriptions ?? []) {
      if (
        s.Protocol === 'sqs' &&
        s.Endpoint !== undefined &&
        s.SubscriptionArn !== undefined &&
        s.SubscriptionArn.startsWith('arn:')
      ) {
        byEndpoint.set(s.Endpoint, s.SubscriptionArn);
      }
    }
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  return byEndpoint;
}

interface PolicyStatement {
  Sid?: string;
  [key: string]: unknown;
}

/**
 * On AWS an SNS topic can deliver to a queue only if the queue's policy allows `sqs:SendMessage`
 * from sns.amazonaws.com; the `aws:SourceArn` condition keeps any other topic out. Returns what
 * changed, or undefined when the policy already says so.
 */
async function ensureDeliveryPolicy(
  sqs: SQSClient,
  queue: ProvisionedQueue,
  topicArns: string[],
): Promise<string | undefined> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }),
  );
  const statement: PolicyStatement = {
    Sid: SNS_DELIVERY_POLICY_SID,
    Effect: 'Allow',
    Principal: { Service: 'sns.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: queue.arn,
    Condition: { ArnEquals: { 'aws:SourceArn': [...topicArns].sort() } },
  };
  let others: PolicyStatement[] = [];
  let ours: PolicyStatement | undefined;
  if (Attributes.Policy !== undefined && Attributes.Policy !== '') {
    try {
      const parsed = JSON.parse(Attributes.Policy) as { Statement?: PolicyStatement[] | PolicyStatement };
      const statements = Array.isArray(parsed.Statement)
        ? parsed.Statement
        : parsed.Statement === undefined
          ? []
          : [parsed.Statement];
      ours = statements.find((s) => s.Sid === SNS_DELIVERY_POLICY_SID);
      others = statements.filter((s) => s.Sid !== SNS_DELIVERY_POLICY_SID);
    } catch (cause) {
      throw new ProvisionError(queue.name, 'the queue Policy is not valid JSON', { cause });
    }
  }
  if (ours !== undefined && sameStatement(ours, statement)) return undefined;
  const policy = { Version: '2012-10-17', Statement: [...others, statement] };
  await sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }),
  );
  return `Policy ${ours === undefined ? 'added' : 'updated'}: SNS may send from ${topicArns.length} topic(s)`;
}

/** AWS may return a one-element list as a plain string; compare the meaning, not the spelling. */
function sameStatement(a: PolicyStatement, b: PolicyStatement): boolean {
  const normalise = (s: PolicyStatement) =>
    JSON.stringify(s, (_key, value: unknown) =>
      Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value,
    );
  return normalise(a) === normalise(b);
}
