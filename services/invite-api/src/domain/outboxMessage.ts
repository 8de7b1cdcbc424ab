import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** An encoded SQS message kept in the outbox until SQS has it (body and attributes incl. traceparent). */
export interface OutboxMessage {
  invitationId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
}
