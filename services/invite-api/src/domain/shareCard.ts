import type { ImageJobRequested } from '@platform/contracts';

/** The card's size: what og:image readers (link previews) expect for a large summary card. */
export const SHARE_CARD_SIZE = { width: 1200, height: 630 } as const;

const JOB_ID_PREFIX = 'invite-card-';
/** The contracts' entityId: a derived id that would not fit gets no card rather than a bad message. */
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * The image job id of an invitation's share card: a pure function of the invitation id, so every
 * retry of the create (Idempotency-Key replay, a second replica, a repeated submit) names the same
 * job and the image-jobs ledger keeps one. Undefined when the id would break the contract.
 */
export function shareCardJobId(invitationId: string): string | undefined {
  const jobId = `${JOB_ID_PREFIX}${invitationId}`;
  return JOB_ID_PATTERN.test(jobId) ? jobId : undefined;
}

/**
 * The image-worker `card` job for an invitation. Only the inviter's display name (already made safe
 * by safeDisplayName) is personal on it: never the phone number, never the code. The params are a
 * pure function of the invitation so a resubmit is "the same job" to the ledger (same request hash).
 */
export function shareCardJob(
  invitation: { invitationId: string; inviterName: string },
  jobId: string,
  requestedAt: string,
): ImageJobRequested {
  return {
    jobId,
    template: 'card',
    width: SHARE_CARD_SIZE.width,
    height: SHARE_CARD_SIZE.height,
    format: 'png',
    params: {
      title: `${invitation.inviterName} invited you`,
      subtitle: 'Open the link in your message to accept the invitation.',
      layout: 'split',
    },
    requestedAt,
    requestedBy: 'invite-api',
    correlationId: invitation.invitationId,
  };
}
