/**
 * The ONE declarative definition of every AWS resource the platform uses. Names are prefixed by an
 * environment name so several environments (prod, dev, one per test) share an account or an emulator.
 * Everything that provisions, deploys or tests resources reads this definition; nothing else names a
 * queue, a table or the bucket.
 */

export type QueueKey = 'imageJobs' | 'smsRequests' | 'inviteEvents' | 'smsEvents' | 'imageJobEvents';
export type TableKey = 'imageJobs' | 'invitations' | 'smsMessages' | 'smsDirectory';
export type TopicKey = 'smsEvents' | 'imageJobEvents';

export interface QueueSettings {
  /** Seconds a received message stays invisible before SQS offers it again. */
  visibilityTimeoutSeconds: number;
  /** Receives after which SQS moves a message to the DLQ (RedrivePolicy). */
  maxReceiveCount: number;
  /** How long an unconsumed message is kept on the main queue. */
  messageRetentionSeconds: number;
  /** Long polling default for ReceiveMessage; 20 s is the SQS maximum and the cheapest setting. */
  receiveWaitTimeSeconds: number;
}

export interface QueueDefinition extends QueueSettings {
  key: QueueKey;
  name: string;
  dlqName: string;
  /** The DLQ keeps messages for the SQS maximum so a person has two weeks to look at them. */
  dlqMessageRetentionSeconds: number;
  /** SSE with SQS-owned keys (SqsManagedSseEnabled): free, no KMS key to manage. */
  sqsManagedSse: boolean;
}

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}

export interface GlobalSecondaryIndexDefinition {
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

export interface TableDefinition {
  key: TableKey;
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  globalSecondaryIndexes: GlobalSecondaryIndexDefinition[];
  /** Epoch-seconds attribute DynamoDB's TTL sweeper deletes by. Only garbage collection, never correctness. */
  ttlAttribute: string;
  pointInTimeRecovery: boolean;
}

export interface BucketDefinition {
  name: string;
  blockPublicAccess: boolean;
  /**
   * Off by design: an output key is a pure function of the jobId and uploads use `If-None-Match: *`, so
   * an object is written once and never overwritten; every asset can be regenerated from its job. Versions
   * would only add storage cost and make lifecycle rules harder.
   */
  versioning: boolean;
}

/**
 * An SNS topic whose messages reach SQS queues. Subscriptions use raw message delivery, so a queue's
 * message body is exactly what was published (no SNS envelope), and each subscribed queue gets a
 * queue policy that lets only this topic send to it.
 */
export interface TopicDefinition {
  key: TopicKey;
  name: string;
  /** Queues subscribed to the topic (protocol sqs). */
  subscriptions: QueueKey[];
  /**
   * AWS service principals allowed to publish to the topic (topic policy, limited to the topic's own
   * account by aws:SourceAccount), e.g. AWS End User Messaging SMS for its event destination.
   */
  publisherServices: string[];
}

export interface ResourceDefinition {
  envName: string;
  queues: Record<QueueKey, QueueDefinition>;
  tables: Record<TableKey, TableDefinition>;
  topics: Record<TopicKey, TopicDefinition>;
  bucket: BucketDefinition;
}

export interface ResourceOverrides {
  /** Per-queue settings, e.g. `{ imageJobs: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } }` in tests. */
  queues?: Partial<Record<QueueKey, Partial<QueueSettings>>>;
  /** S3 bucket names are global: replace the whole name ... */
  bucketName?: string;
  /** ... or keep `<env>-generated-assets` and append `-<suffix>` (e.g. the account id). */
  bucketSuffix?: string;
  /** PITR costs money and is pointless for throwaway environments. Default true. */
  pointInTimeRecovery?: boolean;
}

export interface DefineResourcesOptions {
  envName: string;
  overrides?: ResourceOverrides;
}

const FOUR_DAYS_SECONDS = 4 * 24 * 3600; // the SQS default retention
const FOURTEEN_DAYS_SECONDS = 14 * 24 * 3600; // the SQS maximum retention
const LONG_POLL_SECONDS = 20; // the SQS maximum wait time

const QUEUE_DEFAULTS: Record<QueueKey, { suffix: string } & QueueSettings> = {
  // Rendering takes well under a few seconds; the worker extends visibility by heartbeat while it runs.
  // maxReceiveCount is only a backstop: the worker gives a job up after MAX_ATTEMPTS (3) failures
  // counted in its ledger. Receives that are not attempts are many more: every message the worker
  // prefetches spends a receive even if it is released unrun (on SIGTERM) or reappears after a
  // SIGKILL, as do `busy` deferrals and lost receives. At 5 the kill-heavy chaos run dead-lettered
  // valid jobs on receives alone; 20 leaves room for those and still ends a job that crashes its
  // worker every time (it never records a failure) after 20 deliveries.
  imageJobs: {
    suffix: 'image-jobs',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 20,
    messageRetentionSeconds: FOUR_DAYS_SECONDS,
    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
  },
  // The same reasoning: sms-sender gives an invitation up after SMS_MAX_ATTEMPTS (4) provider
  // attempts counted in its ledger, so the redrive count only catches messages no attempt could
  // record. Receives that are not attempts (`busy` deferrals while a paused sender still holds the
  // lease, deliveries cut short by a SIGKILL) took an invitation past 5 in the chaos run and left it
  // `queued` with its message in the DLQ; 15 leaves room for those.
  smsRequests: {
    suffix: 'sms-requests',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 15,
    messageRetentionSeconds: FOUR_DAYS_SECONDS,
    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
  },
  // Status events are cheap and idempotent to apply, so they may be retried more often before the DLQ.
  inviteEvents: {
    suffix: 'invite-events',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 10,
    messageRetentionSeconds: FOUR_DAYS_SECONDS,
    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
  },
  // AWS End User Messaging SMS delivery events and two-way (inbound) messages, through the smsEvents
  // topic. A receipt for a message not yet in the sms directory is retried a few times, then dropped.
  smsEvents: {
    suffix: 'sms-events',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 5,
    messageRetentionSeconds: FOUR_DAYS_SECONDS,
    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
  },
  // The image-job-events topic's default subscriber (job completion/failure events for producers
  // such as invite-api's share cards); events are small and idempotent to apply (dedupe on jobId).
  imageJobEvents: {
    suffix: 'image-job-events',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 10,
    messageRetentionSeconds: FOUR_DAYS_SECONDS,
    receiveWaitTimeSeconds: LONG_POLL_SECONDS,
  },
};

// Same rule as S3 bucket names' first label minus dots: lower case, digits, hyphens; 1-40 characters
// leaves room for the longest suffix (`-generated-assets`, 17) inside S3's 63-character bucket limit.
const ENV_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export class InvalidResourceDefinition extends Error {
  override readonly name = 'InvalidResourceDefinition';
}

export function defineResources({ envName, overrides = {} }: DefineResourcesOptions): ResourceDefinition {
  if (!ENV_NAME_PATTERN.test(envName)) {
    throw new InvalidResourceDefinition(
      `envName must be 1-40 characters of a-z, 0-9 and '-', not starting or ending with '-'; received ${JSON.stringify(envName)}`,
    );
  }
  const queues = Object.fromEntries(
    (Object.keys(QUEUE_DEFAULTS) as QueueKey[]).map((key) => {
      const { suffix, ...defaults } = QUEUE_DEFAULTS[key];
      const settings: QueueSettings = { ...defaults, ...overrides.queues?.[key] };
      validateQueueSettings(key, settings);
      const queue: QueueDefinition = {
        key,
        name: `${envName}-${suffix}`,
        dlqName: `${envName}-${suffix}-dlq`,
        ...settings,
        dlqMessageRetentionSeconds: FOURTEEN_DAYS_SECONDS,
        sqsManagedSse: true,
      };
      return [key, queue];
    }),
  ) as Record<QueueKey, QueueDefinition>;

  const pointInTimeRecovery = overrides.pointInTimeRecovery ?? true;
  const tables: Record<TableKey, TableDefinition> = {
    imageJobs: {
      key: 'imageJobs',
      name: `${envName}-image-jobs`,
      partitionKey: { name: 'jobId', type: 'S' },
      // Sparse: only jobs that need a person (FAILED, DEAD_LETTERED, CANCELLED) carry the key, which
      // is `<status>#<UTC day>`, so `jobs list --status` never scans and the common states
      // (QUEUED, PROCESSING, COMPLETED) write nothing to the index (no hot partition).
      globalSecondaryIndexes: [
        {
          name: 'byAttentionStatus',
          partitionKey: { name: 'attentionKey', type: 'S' },
          sortKey: { name: 'attentionSort', type: 'S' },
        },
      ],
      ttlAttribute: 'expiresAt',
      pointInTimeRecovery,
    },
    invitations: {
      key: 'invitations',
      name: `${envName}-invitations`,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      globalSecondaryIndexes: [
        { name: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
      ],
      ttlAttribute: 'ttl',
      pointInTimeRecovery,
    },
    smsMessages: {
      key: 'smsMessages',
      name: `${envName}-sms-messages`,
      partitionKey: { name: 'invitationId', type: 'S' },
      globalSecondaryIndexes: [],
      ttlAttribute: 'ttl',
      pointInTimeRecovery,
    },
    // sms-sender's own lookups beside the send ledger: provider message id -> invitation (for
    // delivery receipts; expires) and the opt-out list (STOP/START; never expires). Keys in pk.
    smsDirectory: {
      key: 'smsDirectory',
      name: `${envName}-sms-directory`,
      partitionKey: { name: 'pk', type: 'S' },
      globalSecondaryIndexes: [],
      ttlAttribute: 'ttl',
      pointInTimeRecovery,
    },
  };

  const topics: Record<TopicKey, TopicDefinition> = {
    smsEvents: {
      key: 'smsEvents',
      name: `${envName}-sms-events`,
      subscriptions: ['smsEvents'],
      // The configuration set's event destination and the two-way SMS channel publish as this principal.
      publisherServices: ['sms-voice.amazonaws.com'],
    },
    // Job completion/failure events (image-worker publishes; producers subscribe their own queues).
    imageJobEvents: {
      key: 'imageJobEvents',
      name: `${envName}-image-job-events`,
      subscriptions: ['imageJobEvents'],
      publisherServices: [],
    },
  };

  const bucketName =
    overrides.bucketName ??
    `${envName}-generated-assets${overrides.bucketSuffix === undefined ? '' : `-${overrides.bucketSuffix}`}`;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) {
    throw new InvalidResourceDefinition(
      `bucket name must be 3-63 characters of a-z, 0-9, '.' and '-' (S3 naming rules); received ${JSON.stringify(bucketName)}`,
    );
  }
  return {
    envName,
    queues,
    tables,
    topics,
    bucket: { name: bucketName, blockPublicAccess: true, versioning: false },
  };
}

function validateQueueSettings(key: QueueKey, s: QueueSettings): void {
  // Limits from the SQS API reference (CreateQueue attributes, RedrivePolicy).
  const problems: string[] = [];
  if (!isIntIn(s.visibilityTimeoutSeconds, 0, 43_200))
    problems.push(
      `visibilityTimeoutSeconds must be an integer 0-43200, received ${s.visibilityTimeoutSeconds}`,
    );
  if (!isIntIn(s.maxReceiveCount, 1, 1000))
    problems.push(`maxReceiveCount must be an integer 1-1000, received ${s.maxReceiveCount}`);
  if (!isIntIn(s.messageRetentionSeconds, 60, FOURTEEN_DAYS_SECONDS))
    problems.push(
      `messageRetentionSeconds must be an integer 60-1209600, received ${s.messageRetentionSeconds}`,
    );
  if (!isIntIn(s.receiveWaitTimeSeconds, 0, 20))
    problems.push(`receiveWaitTimeSeconds must be an integer 0-20, received ${s.receiveWaitTimeSeconds}`);
  if (problems.length > 0) throw new InvalidResourceDefinition(`queue ${key}: ${problems.join('; ')}`);
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
