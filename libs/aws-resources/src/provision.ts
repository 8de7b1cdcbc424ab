import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueKey, ResourceDefinition, TableKey, TopicKey } from './definition.ts';
import { provisionBucket } from './provisionBucket.ts';
import { provisionQueue, type ProvisionedQueue } from './provisionQueues.ts';
import { provisionTable, type ProvisionedTable } from './provisionTables.ts';
import { provisionTopics, type ProvisionedTopic } from './provisionTopics.ts';
import { formatReport, type ResourceReport } from './report.ts';

export interface ProvisionClients {
  region: string;
  /** The custom SQS endpoint, if any: queue URLs are reported on this origin (see provisionQueue). */
  endpoints?: { sqs?: string };
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sns: SNSClient;
}

export interface ProvisionOptions {
  /** Receives the printed report; default `console.log`. Pass `() => {}` to stay quiet. */
  log?: (text: string) => void;
}

export interface ProvisionedResources {
  definition: ResourceDefinition;
  region: string;
  queues: Record<QueueKey, ProvisionedQueue>;
  tables: Record<TableKey, ProvisionedTable>;
  topics: Record<TopicKey, ProvisionedTopic>;
  bucket: { name: string };
  report: ResourceReport[];
  /** False when every resource was kept: a second run against the same endpoint changes nothing. */
  changed: boolean;
}

/**
 * Creates what is missing and brings what exists to the definition, against any endpoint the clients
 * point at (embedded emulators, LocalStack, real AWS). Safe to run any number of times.
 */
export async function provision(
  clients: ProvisionClients,
  resources: ResourceDefinition,
  { log = console.log }: ProvisionOptions = {},
): Promise<ProvisionedResources> {
  // Queues, tables and the bucket are independent of each other, so they are provisioned concurrently.
  const queueKeys = Object.keys(resources.queues) as QueueKey[];
  const tableKeys = Object.keys(resources.tables) as TableKey[];
  const [queueResults, tableResults, bucketResult] = await Promise.all([
    Promise.all(
      queueKeys.map((key) => provisionQueue(clients.sqs, resources.queues[key], clients.endpoints?.sqs)),
    ),
    Promise.all(tableKeys.map((key) => provisionTable(clients.dynamodb, resources.tables[key]))),
    provisionBucket(clients.s3, clients.region, resources.bucket),
  ]);
  const queues = Object.fromEntries(queueKeys.map((k, i) => [k, queueResults[i]!.queue])) as Record<
    QueueKey,
    ProvisionedQueue
  >;
  // Subscriptions name their queues by ARN, so topics come after the queues.
  const topicResult = await provisionTopics(clients, resources.topics, queues);
  const report = [
    ...queueResults.flatMap((r) => r.reports),
    ...tableResults.map((r) => r.report),
    ...topicResult.reports,
    bucketResult.report,
  ];
  const provisioned: ProvisionedResources = {
    definition: resources,
    region: clients.region,
    queues,
    tables: Object.fromEntries(tableKeys.map((k, i) => [k, tableResults[i]!.table])) as Record<
      TableKey,
      ProvisionedTable
    >,
    topics: topicResult.topics,
    bucket: bucketResult.bucket,
    report,
    changed: report.some((r) => r.action !== 'kept'),
  };
  log(`Provisioned environment "${resources.envName}" in ${clients.region}:\n${formatReport(report)}`);
  return provisioned;
}
