import type { Message } from '@aws-sdk/client-sqs';
import type { EncodedMessage } from '@platform/contracts';

/** What SQS hands a consumer for a message that was sent as `encoded`. */
export function asReceived(encoded: EncodedMessage, messageId = 'm-1'): Message {
  return { MessageId: messageId, Body: encoded.MessageBody, MessageAttributes: encoded.MessageAttributes };
}
