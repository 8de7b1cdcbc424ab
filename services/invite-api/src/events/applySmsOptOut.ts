import type { SmsOptOut } from '@platform/contracts';
import { maskPhone, type Logger } from '@platform/telemetry';
import type { ConsentStore } from '../store/ConsentStore.ts';

export interface ApplySmsOptOutDeps {
  consent: ConsentStore;
  logger: Logger;
  clock: () => number;
}

/**
 * Applies one `sms.optout` event (published by sms-sender, which owns the suppression list) to
 * invite-api's own suppression item. Idempotent and order-independent: the store keeps the change
 * with the latest `changedAt`, so a redelivered or overtaken event is `stale` and changes nothing.
 */
export function createSmsOptOutApplier(
  deps: ApplySmsOptOutDeps,
): (event: SmsOptOut) => Promise<'applied' | 'stale'> {
  const { consent, logger, clock } = deps;
  return async (event) => {
    const result = await consent.record({
      phoneNumber: event.phoneNumber,
      state: event.action === 'opt-out' ? 'opted-out' : 'opted-in',
      changedAt: event.changedAt,
      source: event.source,
      keyword: event.keyword,
      now: new Date(clock()).toISOString(),
    });
    logger.info(
      {
        recipient: maskPhone(event.phoneNumber),
        action: event.action,
        source: event.source,
        changedAt: event.changedAt,
        result,
      },
      result === 'applied' ? 'sms consent recorded' : 'stale sms consent change ignored',
    );
    return result;
  };
}
