/**
 * Invitation lifecycle. A status only ever moves to a higher rank, enforced by a conditional write on
 * `status_rank`, so SQS redeliveries and out-of-order status events cannot move an invitation back:
 *
 *   queued(0) -> sent(1) -> delivered(2) | failed(2) -> accepted(3) | revoked(3) | expired(3)
 *
 * delivered and failed share a rank: whichever the provider reported first stands. The rank-3
 * statuses are final: a late delivery receipt for a revoked invitation changes nothing.
 * `expired` is not written by a sweeper: an invitation whose expires_at has passed while it was
 * still pending is shown as expired (effectiveStatus) and every write is conditional on expires_at.
 */
export const INVITATION_STATUSES = [
  'queued',
  'sent',
  'delivered',
  'failed',
  'accepted',
  'expired',
  'revoked',
] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const STATUS_RANK: Readonly<Record<InvitationStatus, number>> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  failed: 2,
  accepted: 3,
  expired: 3,
  revoked: 3,
};

/** The rank of every final status: a condition `status_rank < FINAL_RANK` means "still pending". */
export const FINAL_RANK = 3;

/**
 * Statuses from which the SMS may be sent again. Not `failed`: sms-sender reports failed only for a
 * permanent refusal (invalid number, opted out) after its own retries, so sending again would only
 * repeat it. Not `queued`: the first SMS is still on its way.
 */
export const RESENDABLE_STATUSES: readonly InvitationStatus[] = ['sent', 'delivered'];

export function canMoveTo(current: InvitationStatus, next: InvitationStatus): boolean {
  return STATUS_RANK[next] > STATUS_RANK[current];
}

export function isInvitationStatus(value: unknown): value is InvitationStatus {
  return typeof value === 'string' && (INVITATION_STATUSES as readonly string[]).includes(value);
}

export function isFinal(status: InvitationStatus): boolean {
  return STATUS_RANK[status] >= FINAL_RANK;
}

/** The status a person sees: a pending invitation past its expiry is `expired`. */
export function effectiveStatus(
  invitation: { status: InvitationStatus; expiresAt?: string | undefined },
  now: number,
): InvitationStatus {
  if (isFinal(invitation.status) || invitation.expiresAt === undefined) return invitation.status;
  return Date.parse(invitation.expiresAt) <= now ? 'expired' : invitation.status;
}
