import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { waitFor, type WaitForOptions } from './waitFor.ts';

type WaitOptions = Partial<WaitForOptions>;
type Item = Record<string, unknown>;

/** Waits until the item exists and satisfies `predicate` (e.g. `item.status === 'COMPLETED'`); returns it. */
export async function waitForItem(
  documentClient: DynamoDBDocumentClient,
  request: { table: string; key: Item; predicate?: (item: Item) => boolean },
  options: WaitOptions = {},
): Promise<Item> {
  const predicate = request.predicate ?? (() => true);
  return waitFor(
    async () => {
      const { Item: item } = await documentClient.send(
        new GetCommand({ TableName: request.table, Key: request.key, ConsistentRead: true }),
      );
      if (item !== undefined && predicate(item)) return item;
      // Thrown so the timeout message shows the item as it last was.
      throw new Error(item === undefined ? 'item absent' : `item is ${JSON.stringify(item)}`);
    },
    {
      ...options,
      description:
        options.description ??
        `item ${JSON.stringify(request.key)} in ${request.table} to satisfy ${request.predicate?.toString() ?? 'exists'}`,
    },
  );
}

/** Waits until the object exists; returns its HEAD (size, content type, metadata, checksum if stored). */
export async function waitForObject(
  s3: S3Client,
  location: { bucket: string; key: string },
  options: WaitOptions = {},
): Promise<HeadObjectCommandOutput> {
  return waitFor(
    () =>
      s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key, ChecksumMode: 'ENABLED' })),
    { ...options, description: options.description ?? `s3://${location.bucket}/${location.key} to exist` },
  );
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

/** Approximate counts; on SQS they lag by up to a minute, on fauxqs they are exact and immediate. */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Waits until no message is visible, in flight or delayed: everything was consumed and deleted. */
export async function waitForQueueEmpty(
  sqs: SQSClient,
  queueUrl: string,
  options: WaitOptions = {},
): Promise<void> {
  await waitFor(
    async () => {
      const counts = await queueCounts(sqs, queueUrl);
      if (counts.visible + counts.inFlight + counts.delayed === 0) return true;
      throw new Error(`counts are ${JSON.stringify(counts)}`);
    },
    { ...options, description: options.description ?? `queue ${queueName(queueUrl)} to be empty` },
  );
}

/**
 * Waits until the queue holds at least `atLeast` messages (visible + in flight), e.g. on a DLQ after
 * redrive; returns the count. Does not receive, so it does not disturb the messages.
 */
export async function waitForMessageCount(
  sqs: SQSClient,
  queueUrl: string,
  atLeast: number,
  options: WaitOptions = {},
): Promise<number> {
  if (!Number.isInteger(atLeast) || atLeast < 1)
    throw new RangeError(`atLeast must be an integer >= 1, received ${atLeast}`);
  return waitFor(
    async () => {
      const counts = await queueCounts(sqs, queueUrl);
      const total = counts.visible + counts.inFlight;
      if (total >= atLeast) return total;
      throw new Error(`counts are ${JSON.stringify(counts)}`);
    },
    {
      ...options,
      description:
        options.description ?? `queue ${queueName(queueUrl)} to hold at least ${atLeast} message(s)`,
    },
  );
}

function queueName(url: string): string {
  return url.split('/').pop() ?? url;
}
