import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '@platform/errors';

/**
 * The queue's RedrivePolicy maxReceiveCount: the receive on which SQS gives up on a message. The
 * worker needs it to mark a job FAILED on its last attempt; reading it from the queue keeps the
 * two from drifting apart (the queue definition in @platform/aws-resources is the source).
 */
export async function readMaxReceiveCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const policy = Attributes?.RedrivePolicy;
  const parsed = policy === undefined ? undefined : (JSON.parse(policy) as { maxReceiveCount?: unknown });
  const value = Number(parsed?.maxReceiveCount);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError([
      `MAX_RECEIVE_COUNT: not set, and ${queueUrl} has no RedrivePolicy to read it from (RedrivePolicy ${policy ?? 'absent'})`,
    ]);
  }
  return value;
}
