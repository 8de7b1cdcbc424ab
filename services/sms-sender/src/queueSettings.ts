import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '@platform/errors';

/**
 * The queue's RedrivePolicy maxReceiveCount. The sender's last delivery must publish a final status
 * instead of retrying (SQS moves the message to the DLQ after it), so it has to know the count;
 * reading it from the queue keeps the two from drifting apart.
 */
export async function readMaxReceiveCount(sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const policy = Attributes?.RedrivePolicy;
  let value = Number.NaN;
  try {
    value = Number((JSON.parse(policy ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount);
  } catch {
    // fall through to the ConfigError below
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError([
      `MAX_RECEIVE_COUNT: not set, and ${queueUrl} has no RedrivePolicy to read it from (RedrivePolicy ${policy ?? 'absent'})`,
    ]);
  }
  return value;
}
