import {
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  ENVELOPE_ATTRIBUTE_NAMES,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  TRACE_ATTRIBUTE_NAMES,
} from '@platform/contracts';

// Keep the reason readable in the console and small beside the SQS message size limit.
const MAX_DETAIL_CHARS = 1024;

/**
 * Originals worth keeping, most important first, in the same order as `@platform/contracts`'
 * deadLetterAttributes: the envelope (so the DLQ entry can be decoded and redriven), then trace context.
 */
const KEEP_PRIORITY: readonly string[] = [...ENVELOPE_ATTRIBUTE_NAMES, ...TRACE_ATTRIBUTE_NAMES];

export interface DeadLetterReason {
  reason: string;
  detail?: string;
  sourceQueueUrl: string;
  failedAt: Date;
}

/**
 * Attributes of the DLQ copy: the 4 `dlq-*` reason attributes plus as many originals as still fit in
 * SQS's 10, by priority. Dropped names are appended to `dlq-detail` so nothing vanishes silently.
 */
export function deadLetterAttributes(
  original: Record<string, MessageAttributeValue> | undefined,
  why: DeadLetterReason,
): Record<string, MessageAttributeValue> {
  const reasonNames = ['dlq-reason', 'dlq-detail', 'dlq-source-queue', 'dlq-failed-at'];
  const originals = Object.entries(original ?? {}).filter(([name]) => !reasonNames.includes(name));
  const rank = (name: string): number => {
    const index = KEEP_PRIORITY.indexOf(name);
    return index === -1 ? KEEP_PRIORITY.length : index;
  };
  originals.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const room = SQS_MAX_MESSAGE_ATTRIBUTES - reasonNames.length;
  const kept = originals.slice(0, room);
  const dropped = originals.slice(room).map(([name]) => name);
  let detail = why.detail ?? '';
  if (dropped.length > 0)
    detail = `${detail}${detail ? ' ' : ''}(attributes dropped to fit 10: ${dropped.join(', ')})`;
  const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
  return {
    ...Object.fromEntries(kept),
    'dlq-reason': str(why.reason || 'UNKNOWN'),
    // SQS rejects empty string attribute values.
    'dlq-detail': str((detail || '-').slice(0, MAX_DETAIL_CHARS)),
    'dlq-source-queue': str(why.sourceQueueUrl),
    'dlq-failed-at': str(why.failedAt.toISOString()),
  };
}

/** Copies the message, body untouched, to the DLQ. The caller deletes the original only after this resolves. */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
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
      MessageAttributes: deadLetterAttributes(message.MessageAttributes, why),
    }),
    { abortSignal: signal },
  );
}
