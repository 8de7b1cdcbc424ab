import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** An encoded SQS message kept in the outbox until SQS has it (body and attributes incl. traceparent). */
export interface OutboxMessage {
  invitationId: string;
  /** Span attributes of the send (invitation.code, enduser.id); absent on items stored without them. */
  inviteCode?: string | undefined;
  inviterUserId?: string | undefined;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
}
