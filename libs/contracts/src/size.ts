import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

const utf8 = new TextEncoder();

function byteLength(text: string | undefined): number {
  return text === undefined ? 0 : utf8.encode(text).byteLength;
}

/**
 * The size SQS counts against its limit: the UTF-8 body plus, for every attribute, the bytes of
 * its name, its data type and its value.
 * Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
export function sqsMessageSizeBytes(
  body: string | undefined,
  attributes: Readonly<Record<string, MessageAttributeValue>> = {},
): number {
  let total = byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    total += byteLength(name) + byteLength(value.DataType);
    total += value.BinaryValue !== undefined ? value.BinaryValue.byteLength : byteLength(value.StringValue);
  }
  return total;
}
