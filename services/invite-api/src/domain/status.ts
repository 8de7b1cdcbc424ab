/**
 * Invitation lifecycle. A status only ever moves to a higher rank, enforced by a conditional write on
 * `status_rank`, so SQS redeliveries and out-of-order status events cannot move an invitation back:
 *
 *   queued(0) -> sent(1) -> delivered(2) | failed(2) -> accepted(3)
 *
 * delivered and failed share a rank: whichever the provider reported first stands. accepted is final.
 */
export const INVITATION_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'accepted'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const STATUS_RANK: Readonly<Record<InvitationStatus, number>> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  failed: 2,
  accepted: 3,
};

export function canMoveTo(current: InvitationStatus, next: InvitationStatus): boolean {
  return STATUS_RANK[next] > STATUS_RANK[current];
}

export function isInvitationStatus(value: unknown): value is InvitationStatus {
  return typeof value === 'string' && (INVITATION_STATUSES as readonly string[]).includes(value);
}
