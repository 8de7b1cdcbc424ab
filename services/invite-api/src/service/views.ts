import type { Invitation } from '../domain/invitation.ts';
import { effectiveStatus } from '../domain/status.ts';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** "+1 415 555 2671" for "+14155552671": how the pages show a number. */
export function displayPhoneNumber(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** The JSON an API client sees for an invitation (components.schemas.Invitation in the OpenAPI document). */
export type InvitationView = Pick<
  Invitation,
  | 'invitationId'
  | 'inviteCode'
  | 'phoneNumber'
  | 'status'
  | 'referralUrl'
  | 'createdAt'
  | 'updatedAt'
  | 'sentAt'
  | 'deliveredAt'
  | 'failedAt'
  | 'failure'
  | 'acceptedAt'
  | 'expiresAt'
  | 'revokedAt'
  | 'lastSendRequestedAt'
> & { resendCount: number; phoneNumberDisplay: string };

/** `now` (epoch ms) decides whether a pending invitation is shown as expired. */
export function invitationView(invitation: Invitation, now: number): InvitationView {
  const { invitationId, inviteCode, phoneNumber, referralUrl, createdAt, updatedAt } = invitation;
  return {
    invitationId,
    inviteCode,
    phoneNumber,
    phoneNumberDisplay: displayPhoneNumber(phoneNumber),
    status: effectiveStatus(invitation, now),
    referralUrl,
    createdAt,
    updatedAt,
    ...(invitation.sentAt === undefined ? {} : { sentAt: invitation.sentAt }),
    ...(invitation.deliveredAt === undefined ? {} : { deliveredAt: invitation.deliveredAt }),
    ...(invitation.failedAt === undefined ? {} : { failedAt: invitation.failedAt }),
    ...(invitation.failure === undefined ? {} : { failure: invitation.failure }),
    ...(invitation.acceptedAt === undefined ? {} : { acceptedAt: invitation.acceptedAt }),
    ...(invitation.expiresAt === undefined ? {} : { expiresAt: invitation.expiresAt }),
    ...(invitation.revokedAt === undefined ? {} : { revokedAt: invitation.revokedAt }),
    ...(invitation.lastSendRequestedAt === undefined
      ? {}
      : { lastSendRequestedAt: invitation.lastSendRequestedAt }),
    resendCount: invitation.resendCount ?? 0,
  };
}

/** The 201 body of POST /api/invitations (also what an idempotent replay returns). */
export interface InvitationCreatedBody {
  success: true;
  invitationId: string;
  inviteCode: string;
  status: 'queued';
  referralUrl: string;
  phoneNumber: string;
  /** Absent in responses stored (Idempotency-Key) before it existed. */
  phoneNumberDisplay?: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * What the landing page may show about an invitation found by its code: who invited and its state.
 * Never the phone number: a code must not reveal whom it was sent to.
 */
export interface PublicInvitationView {
  /** For the server's own look-ups (the share card); never rendered on a page. */
  invitationId: string;
  inviteCode: string;
  inviterName: string;
  status: 'pending' | 'accepted' | 'expired' | 'revoked';
  expiresAt?: string;
}
