import {
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { deadLetterAttributes } from '@platform/contracts';

export interface DeadLetterReason {
  reason: string;
  detail?: string;
  sourceQueueUrl: string;
  failedAt: Date;
}

/**
 * Attributes of the consumer's DLQ copy: `@platform/contracts`' deadLetterAttributes with the
 * provenance (source queue, failed-at). The detail is always written ('-' when there is none; SQS
 * rejects empty values) so every copy this consumer makes carries the same four `dlq-*` attributes.
 */
export function deadLetterCopyAttributes(
  original: Record<string, MessageAttributeValue> | undefined,
  why: DeadLetterReason,
): Record<string, MessageAttributeValue> {
  return deadLetterAttributes({ reason: why.reason || 'UNKNOWN', detail: why.detail || '-' }, original, {
    sourceQueueUrl: why.sourceQueueUrl,
    failedAt: why.failedAt,
  });
}

/** Copies the message, body untouched, to the DLQ. The caller deletes the original only after this resolves. */
export async function sendToDeadLetterQueue(
  sqs: Pick<SQSClient, 'send'>,
  dlqUrl: string,
  message: Message,
  why: DeadLetterReason,
  signal: AbortSignal | undefined,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      // SQS never delivers an empty body, so Body is always present on a received message.
      MessageBody: message.Body ?? '',
      MessageAttributes: deadLetterCopyAttributes(message.MessageAttributes, why),
    }),
    { abortSignal: signal },
  );
}
