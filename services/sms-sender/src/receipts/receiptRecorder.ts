import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';
import type { SmsStatus } from '@platform/contracts';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import type { SmsDirectory } from '../directory/smsDirectory.ts';
import { redactPhoneNumbers } from '../providers/redact.ts';
import type { StatusPublisher } from '../statusPublisher.ts';
import type { DeliveryReceipt } from './deliveryReceipt.ts';

export type ReceiptResult = 'published' | 'unknown-message';

export interface ReceiptRecorder {
  /**
   * Finds the invitation of a receipt and publishes its `sms.status`. A receipt for a message the
   * directory does not know is `unknown-message`: logged and dropped by the caller, never an error.
   * Only infrastructure failures (DynamoDB, SQS) throw.
   */
  record(receipt: DeliveryReceipt, signal?: AbortSignal): Promise<ReceiptResult>;
}

const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

// The message id is recorded right after the provider accepted; a receipt can overtake that write by
// a few hundred milliseconds (a fast carrier, a slow DynamoDB). Look again briefly before calling it unknown.
const DEFAULT_LOOKUP_RETRY_DELAYS_MS = [250, 750];

/**
 * Status only moves forward, but that is invite-api's rule (its rank condition), not ours: receipts
 * arrive out of order (a Twilio `delivered` may overtake our own `sent`), so every receipt is
 * published and the consumer keeps the highest status.
 */
export function createReceiptRecorder(
  deps: {
    directory: SmsDirectory;
    publisher: StatusPublisher;
    logger: ConsumerLogger;
  },
  options: { lookupRetryDelaysMs?: readonly number[] } = {},
): ReceiptRecorder {
  const { directory, publisher, logger } = deps;
  const retryDelays = options.lookupRetryDelaysMs ?? DEFAULT_LOOKUP_RETRY_DELAYS_MS;

  async function lookup(receipt: DeliveryReceipt, signal: AbortSignal | undefined) {
    for (let attempt = 0; ; attempt++) {
      const found = await directory.findMessage(receipt.provider, receipt.providerMessageId, signal);
      const delay = retryDelays[attempt];
      if (found !== undefined || receipt.invitationIdHint !== undefined || delay === undefined) return found;
      await sleep(delay, undefined, signal === undefined ? {} : { signal });
    }
  }

  return {
    async record(receipt, signal) {
      const found = await lookup(receipt, signal);
      const hint = receipt.invitationIdHint;
      const invitationId =
        found?.invitationId ?? (hint !== undefined && ENTITY_ID.test(hint) ? hint : undefined);
      const log = {
        provider: receipt.provider,
        providerMessageId: receipt.providerMessageId,
        outcome: receipt.outcome,
      };
      if (invitationId === undefined) {
        logger.warn(log, 'delivery receipt for an unknown message; dropped');
        return 'unknown-message';
      }
      const base = {
        invitationId,
        provider: receipt.provider,
        providerMessageId: receipt.providerMessageId,
        occurredAt: receipt.occurredAt,
      };
      const error = {
        code: (receipt.error?.code ?? 'DELIVERY_FAILED').slice(0, 64),
        message:
          redactPhoneNumbers(receipt.error?.message ?? 'not delivered').slice(0, 1024) || 'not delivered',
      };
      const status: SmsStatus =
        receipt.outcome === 'delivered'
          ? { ...base, status: 'delivered' }
          : receipt.outcome === 'undelivered'
            ? { ...base, status: 'undelivered', error }
            : { ...base, status: 'failed', error };
      // Published in the trace of the send that the receipt is about (stored with the message id),
      // so one invitation stays one trace from the HTTP request to `delivered`.
      const parent =
        found?.traceparent === undefined
          ? context.active()
          : propagation.extract(ROOT_CONTEXT, { traceparent: found.traceparent });
      await context.with(parent, () => publisher.publish(status, signal));
      logger.info({ ...log, invitationId }, 'delivery receipt published');
      return 'published';
    },
  };
}
