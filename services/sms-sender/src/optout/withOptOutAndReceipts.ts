import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation } from '@opentelemetry/api';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import type { SmsDirectory } from '../directory/smsDirectory.ts';
import { SmsPermanentFailure, SmsTransientFailure } from '../errors.ts';
import type { SmsProvider } from '../providers/types.ts';

// A few short pauses for the message-id write after the provider accepted: a DynamoDB blip must not
// cost the invitation its receipts. After that the receipts are lost (status stays `sent`), never the SMS.
const RECORD_RETRY_DELAYS_MS = [100, 500];

/**
 * Wraps a provider with the two checks the sms directory owns, so the sender's lifecycle
 * (smsSender.ts) needs no hook for them:
 * - BEFORE the call: a number on the suppression list (replied STOP) is refused with OPTED_OUT,
 *   permanent and `not-sent` (the provider was never called), so the invitation turns `failed`.
 *   A directory that cannot be read is a transient failure: we never send without knowing consent.
 * - AFTER the provider accepted: the provider's message id -> invitation id, so delivery receipts
 *   find their invitation. Written before the sender records `sent`, so a fast receipt finds it.
 */
export function withOptOutAndReceipts(
  provider: SmsProvider,
  deps: { directory: SmsDirectory; logger: ConsumerLogger; clock?: () => number },
): SmsProvider {
  const { directory, logger } = deps;
  const clock = deps.clock ?? Date.now;
  return {
    name: provider.name,
    async send(request) {
      let consent;
      try {
        consent = await directory.consentOf(request.to, request.signal);
      } catch (error) {
        throw new SmsTransientFailure({
          code: 'PROVIDER_UNAVAILABLE',
          message: 'Could not read the suppression list; not sending without knowing consent',
          provider: provider.name,
          providerCode: 'SUPPRESSION_LIST_UNAVAILABLE',
          outcome: 'not-sent',
          cause: error,
        });
      }
      if (consent === 'opted-out') {
        throw new SmsPermanentFailure({
          code: 'OPTED_OUT',
          message: 'The recipient opted out (STOP); not sent',
          provider: provider.name,
          providerCode: 'SUPPRESSED',
        });
      }
      const result = await provider.send(request);
      // The send runs inside the invitation's trace; the receipt, hours later, continues it.
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const entry = {
        traceparent: carrier.traceparent,
        provider: provider.name,
        providerMessageId: result.providerMessageId,
        invitationId: request.idempotencyKey,
        acceptedAt: new Date(clock()).toISOString(),
      };
      for (let attempt = 0; ; attempt++) {
        try {
          // Not the call's signal: the SMS is out, a shutdown must not skip the one write receipts need.
          await directory.recordMessage(entry, AbortSignal.timeout(5000));
          break;
        } catch (error) {
          const delay = RECORD_RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            logger.error(
              { err: error, providerMessageId: result.providerMessageId },
              'recording the message id failed; its delivery receipts will be dropped',
            );
            break;
          }
          await sleep(delay);
        }
      }
      return result;
    },
  };
}
