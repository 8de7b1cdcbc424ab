import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '@platform/errors';

/**
 * The queue's RedrivePolicy maxReceiveCount: the receive after which SQS moves a message to the
 * DLQ. A consumer needs it to act on a message's last delivery (mark a job FAILED, publish a final
 * SMS status) instead of retrying; reading it from the queue keeps the two from drifting apart (the
 * queue definition in @platform/aws-resources is the source). Used when MAX_RECEIVE_COUNT is 0.
 */
export async function readMaxReceiveCount(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
  const policy = Attributes?.RedrivePolicy;
  let value = Number.NaN;
  try {
    value = Number((JSON.parse(policy ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount);
  } catch {
    // An unparsable policy is reported by the ConfigError below, with the policy text.
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError([
      `MAX_RECEIVE_COUNT: not set, and ${queueUrl} has no RedrivePolicy to read it from (RedrivePolicy ${policy ?? 'absent'})`,
    ]);
  }
  return value;
}
