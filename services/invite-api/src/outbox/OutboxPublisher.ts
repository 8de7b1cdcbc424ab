import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@platform/telemetry';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import type { OutboxStore } from '../store/OutboxStore.ts';
import { tagInvitationSpan } from '../telemetry/invitationSpan.ts';

export interface OutboxPublisher {
  /**
   * Sends the message, then removes its outbox item. Resolves false (never throws) when SQS did not
   * take it: the item stays pending and the relay sends it later. A failed removal after a successful
   * send means the relay sends it again: sms-sender's ledger makes that duplicate harmless.
   */
  publish(message: OutboxMessage): Promise<boolean>;
}

export interface OutboxPublisherDeps {
  sqs: SQSClient;
  outbox: OutboxStore;
  logger: Logger;
}

export interface OutboxPublisherOptions {
  queueUrl: string;
  /** Bound on one send including the SDK's own retries, so a slow SQS cannot hold a request open. */
  sendTimeoutMs: number;
}

export function createOutboxPublisher(
  deps: OutboxPublisherDeps,
  options: OutboxPublisherOptions,
): OutboxPublisher {
  const { sqs, outbox, logger } = deps;
  return {
    async publish(message) {
      // The request's span inline, the relay's send span later: either way the send is findable.
      tagInvitationSpan(message);
      try {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: options.queueUrl,
            MessageBody: message.body,
            MessageAttributes: message.attributes,
          }),
          { abortSignal: AbortSignal.timeout(options.sendTimeoutMs) },
        );
      } catch (error) {
        logger.warn(
          { err: error, invitationId: message.invitationId },
          'sms.requested not sent; the outbox relay will retry',
        );
        return false;
      }
      try {
        await outbox.remove(message.invitationId);
      } catch (error) {
        logger.warn(
          { err: error, invitationId: message.invitationId },
          'sms.requested sent but its outbox item was not removed; the relay will send it again',
        );
      }
      return true;
    },
  };
}
