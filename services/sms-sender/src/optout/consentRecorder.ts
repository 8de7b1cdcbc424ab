import { maskPhone } from '@platform/telemetry';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import type { SmsDirectory } from '../directory/smsDirectory.ts';
import type { ProviderName } from '../providers/types.ts';
import type { OptOutPublisher } from '../statusPublisher.ts';
import { classifyKeyword } from './keywords.ts';

export interface InboundMessage {
  source: ProviderName;
  /** The recipient who replied (E.164). */
  from: string;
  body: string;
  receivedAt: string;
  /** The provider's id of the inbound message, for log correlation. */
  inboundMessageId?: string | undefined;
  /** A provider's own verdict (Twilio Advanced Opt-Out `OptOutType`), preferred to our keyword list. */
  providerAction?: 'opt-out' | 'opt-in' | undefined;
}

export type InboundResult = 'opted-out' | 'opted-in' | 'stale' | 'not-a-keyword' | 'invalid-number';

export interface ConsentRecorder {
  /** Records a STOP/START and publishes `sms.optout`; anything else is `not-a-keyword`. */
  handleInbound(message: InboundMessage, signal?: AbortSignal): Promise<InboundResult>;
}

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * sms-sender owns the suppression list: it is the service that receives the replies and the one
 * that must never send to an opted-out number. Order of writes: the directory first (from then on
 * sms-sender refuses to send), then `sms.optout` to invite-events (invite-api then refuses new
 * invitations). A failed publish throws, the source retries (SQS redelivery), the repeated change is
 * `applied` again (same changedAt) and published again: at least once, idempotent downstream.
 */
export function createConsentRecorder(deps: {
  directory: SmsDirectory;
  publisher: OptOutPublisher;
  logger: ConsumerLogger;
}): ConsentRecorder {
  const { directory, publisher, logger } = deps;
  return {
    async handleInbound(message, signal) {
      const recipient = maskPhone(message.from);
      const classified = classifyKeyword(message.body);
      const action = message.providerAction ?? classified?.action;
      if (action === undefined) {
        logger.info(
          { recipient, source: message.source },
          'inbound sms is not an opt-out/opt-in keyword; ignored',
        );
        return 'not-a-keyword';
      }
      if (!E164.test(message.from)) {
        logger.warn(
          { recipient, source: message.source },
          'inbound keyword from a number that is not E.164; ignored',
        );
        return 'invalid-number';
      }
      const keyword = classified?.keyword ?? (action === 'opt-out' ? 'STOP' : 'START');
      const changedAt = new Date(message.receivedAt).toISOString();
      const result = await directory.recordConsent(
        {
          phoneNumber: message.from,
          state: action === 'opt-out' ? 'opted-out' : 'opted-in',
          changedAt,
          source: message.source,
          keyword,
        },
        signal,
      );
      const log = {
        recipient,
        source: message.source,
        action,
        keyword,
        inboundMessageId: message.inboundMessageId,
      };
      if (result === 'stale') {
        logger.info(log, 'older opt-out/opt-in than the one recorded; ignored');
        return 'stale';
      }
      await publisher.publish(
        {
          phoneNumber: message.from,
          action,
          source: message.source,
          keyword,
          changedAt,
          ...(message.inboundMessageId !== undefined && /^[\x21-\x7E]{1,128}$/.test(message.inboundMessageId)
            ? { correlationId: message.inboundMessageId }
            : {}),
        },
        signal,
      );
      logger.info(log, action === 'opt-out' ? 'recipient opted out' : 'recipient opted back in');
      return action === 'opt-out' ? 'opted-out' : 'opted-in';
    },
  };
}
