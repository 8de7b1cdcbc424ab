import type { SmsStatus } from '@platform/contracts';
import type { Logger } from '@platform/telemetry';
import type { InvitationStore } from '../store/InvitationStore.ts';
import { tagInvitationSpan } from '../telemetry/invitationSpan.ts';
import type { MetricsPort } from '../service/ports.ts';

/**
 * The error code sms-sender puts in a failed sms.status when the recipient opted out (SNS
 * OptedOutException, Twilio 21610). Agreed in the sms.status contract's error.code.
 */
export const OPTED_OUT_ERROR_CODE = 'OPTED_OUT';

export type SmsStatusResult = 'applied' | 'stale' | 'unknown-invitation';

export interface ApplySmsStatusDeps {
  store: InvitationStore;
  metrics: MetricsPort;
  logger: Logger;
  clock: () => number;
}

const METRIC_OF: Record<
  SmsStatus['status'],
  'InvitationsSent' | 'InvitationsDelivered' | 'InvitationsFailed'
> = {
  sent: 'InvitationsSent',
  delivered: 'InvitationsDelivered',
  undelivered: 'InvitationsFailed',
  failed: 'InvitationsFailed',
};

/**
 * The invitation status a report moves to. `undelivered` is a delivery receipt (the provider had
 * accepted the SMS, the carrier could not deliver it): for the inviter that is a failed invitation,
 * so it takes `failed`'s place and rank, with the carrier's reason as the failure code.
 */
function invitationStatusOf(status: SmsStatus['status']): 'sent' | 'delivered' | 'failed' {
  return status === 'undelivered' ? 'failed' : status;
}

/**
 * Applies one sms.status event. Idempotent: a repeated or out-of-order event is `stale` and changes
 * no status (the store's rank condition), and counts no metric, so redeliveries do not inflate them.
 */
export function createSmsStatusApplier(
  deps: ApplySmsStatusDeps,
): (event: SmsStatus) => Promise<SmsStatusResult> {
  const { store, metrics, logger, clock } = deps;
  return async (event) => {
    const outcome = await store.applyStatus({
      invitationId: event.invitationId,
      status: invitationStatusOf(event.status),
      occurredAt: event.occurredAt,
      provider: event.provider,
      ...(event.providerMessageId === undefined ? {} : { providerMessageId: event.providerMessageId }),
      ...(event.error === undefined ? {} : { error: event.error }),
      now: new Date(clock()).toISOString(),
    });
    if (outcome.kind === 'unknown-invitation') {
      tagInvitationSpan({ invitationId: event.invitationId });
      logger.warn(
        { invitationId: event.invitationId, status: event.status },
        'sms.status for an unknown invitation',
      );
      return 'unknown-invitation';
    }
    const { invitation } = outcome;
    // The consumer's process span is active here.
    tagInvitationSpan(invitation);
    // An opt-out is a fact about the number, whatever the invitation's status: suppress it even
    // when the event itself is stale.
    if (event.status === 'failed' && event.error?.code === OPTED_OUT_ERROR_CODE) {
      await store.suppress(invitation.phoneNumber, {
        reason: OPTED_OUT_ERROR_CODE,
        invitationId: invitation.invitationId,
        now: new Date(clock()).toISOString(),
      });
      logger.info(
        { invitationId: invitation.invitationId, phoneNumber: invitation.phoneNumber },
        'number suppressed (opted out)',
      );
    }
    if (outcome.kind === 'applied') {
      metrics.count(METRIC_OF[event.status]);
      logger.info(
        { invitationId: invitation.invitationId, status: invitation.status },
        'invitation status updated',
      );
      return 'applied';
    }
    logger.info(
      { invitationId: invitation.invitationId, status: invitation.status, reported: event.status },
      'stale sms.status ignored',
    );
    return 'stale';
  };
}
