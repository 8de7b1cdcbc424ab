import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DeleteTopicCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import {
  createAwsClients,
  defineResources,
  provision,
  resourceEnv,
  type AwsClients,
  type ProvisionedResources,
  type QueueKey,
  type QueueSettings,
  type ResourceDefinition,
} from '@platform/aws-resources';
import type { EmbeddedAwsEndpoints } from '@platform/aws-resources/embedded';
import type { ExecutionContext } from 'ava';
import { sharedAws } from './sharedAws.ts';

export interface IsolatedAwsOptions {
  /** Per-queue overrides, e.g. `{ imageJobs: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } }`. */
  queues?: Partial<Record<QueueKey, Partial<QueueSettings>>>;
}

export interface IsolatedAws {
  /** A unique prefix such as `t3f9a0c1d`: every resource of this test is named `<envName>-...`. */
  envName: string;
  resources: ResourceDefinition;
  provisioned: ProvisionedResources;
  /** Queue URLs, DLQ URLs, table and bucket names, ready to use. */
  urls: {
    imageJobs: string;
    imageJobsDlq: string;
    smsRequests: string;
    smsRequestsDlq: string;
    inviteEvents: string;
    inviteEventsDlq: string;
    imageJobEvents: string;
    imageJobEventsDlq: string;
  };
  /** Topic ARNs. */
  topics: { imageJobEvents: string };
  tables: { imageJobs: string; invitations: string; smsMessages: string };
  bucket: string;
  /** Clients pointed at the shared emulators (destroyed at teardown). */
  clients: AwsClients;
  endpoints: EmbeddedAwsEndpoints;
  /** Everything a service child process needs: AWS_* and endpoints, ENV_NAME, queue URLs, tables, bucket. */
  env: Record<string, string>;
}

/**
 * Gives the test its own copy of every queue, table and bucket on the shared emulators, under a unique
 * prefix, so test files and tests run in parallel without a DynamoDB Local start each. Everything is
 * deleted again when the test ends (best effort: a leftover only costs emulator memory).
 */
export async function useIsolatedAws(
  t: ExecutionContext,
  options: IsolatedAwsOptions = {},
): Promise<IsolatedAws> {
  let cleanup: (() => Promise<void>) | undefined;
  t.teardown(async () => cleanup?.());
  const isolated = await createIsolatedAws(options, (fn) => (cleanup = fn));
  return isolated;
}

/**
 * The same without ava: the caller must call `cleanup()` (scripts, benchmarks, `test.before` hooks).
 * `onCleanup` receives the cleanup before provisioning starts, so a half-provisioned set is removed too.
 */
export async function createIsolatedAws(
  options: IsolatedAwsOptions = {},
  onCleanup?: (cleanup: () => Promise<void>) => void,
): Promise<IsolatedAws & { cleanup(): Promise<void> }> {
  const aws = await sharedAws();
  const envName = `t${randomBytes(5).toString('hex')}`;
  const resources = defineResources({
    envName,
    overrides: {
      ...(options.queues === undefined ? {} : { queues: options.queues }),
      pointInTimeRecovery: false,
    },
  });
  const clients = createAwsClients(aws.env);
  let cleaned: Promise<void> | undefined;
  let topicArns: string[] = [];
  const cleanup = () => {
    cleaned ??= removeResources(clients, resources, topicArns).finally(() => clients.destroy());
    return cleaned;
  };
  onCleanup?.(cleanup);
  const provisioned = await provision(clients, resources, { log: () => {} });
  topicArns = Object.values(provisioned.topics).map((topic) => topic.arn);
  const { queues, tables, bucket } = provisioned;
  return {
    envName,
    resources,
    provisioned,
    urls: {
      imageJobs: queues.imageJobs.url,
      imageJobsDlq: queues.imageJobs.dlqUrl,
      smsRequests: queues.smsRequests.url,
      smsRequestsDlq: queues.smsRequests.dlqUrl,
      inviteEvents: queues.inviteEvents.url,
      inviteEventsDlq: queues.inviteEvents.dlqUrl,
      imageJobEvents: queues.imageJobEvents.url,
      imageJobEventsDlq: queues.imageJobEvents.dlqUrl,
    },
    topics: { imageJobEvents: provisioned.topics.imageJobEvents.arn },
    tables: {
      imageJobs: tables.imageJobs.name,
      invitations: tables.invitations.name,
      smsMessages: tables.smsMessages.name,
    },
    bucket: bucket.name,
    clients,
    endpoints: aws.endpoints,
    env: { ...aws.env, ...resourceEnv(provisioned) },
    cleanup,
  };
}

async function removeResources(
  clients: AwsClients,
  resources: ResourceDefinition,
  topicArns: readonly string[],
): Promise<void> {
  const queueNames = Object.values(resources.queues).flatMap((q) => [q.name, q.dlqName]);
  await Promise.allSettled([
    ...queueNames.map(async (name) => {
      const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    }),
    ...Object.values(resources.tables).map((table) =>
      clients.dynamodb.send(new DeleteTableCommand({ TableName: table.name })),
    ),
    // Deleting a topic deletes its subscriptions.
    ...topicArns.map((TopicArn) => clients.sns.send(new DeleteTopicCommand({ TopicArn }))),
    emptyAndDeleteBucket(clients.s3, resources.bucket.name),
  ]);
}

async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}
