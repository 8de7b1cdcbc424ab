import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeMessage, type ImageJobRequestedV1 } from '@platform/contracts';

/**
 * Sends one image job. `encodeMessage` validates the payload against its schema first (a bad job
 * is refused here, not dead-lettered later) and adds the contract and trace-context attributes.
 */
export async function submitImageJob(
  sqs: SQSClient,
  queueUrl: string,
  job: ImageJobRequestedV1,
  options: { signal?: AbortSignal } = {},
): Promise<{ messageId: string }> {
  const encoded = encodeMessage('image.job.requested', job);
  const output = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...encoded }), {
    abortSignal: options.signal,
  });
  return { messageId: output.MessageId ?? '' };
}
