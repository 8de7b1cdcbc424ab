import type { InvitationStatus } from './status.ts';

/** An invitation as the service sees it (camelCase); stored snake_case (store/invitationItem.ts). */
export interface Invitation {
  invitationId: string;
  inviterUserId: string;
  inviterName: string;
  /** E.164. Personal data: masked in logs. */
  phoneNumber: string;
  inviteCode: string;
  referralUrl: string;
  status: InvitationStatus;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
  deliveredAt?: string;
  failedAt?: string;
  failure?: { code: string; message: string };
  acceptedAt?: string;
  acceptedBy?: string;
  /** When the code stops being acceptable (created_at + INVITE_TTL_DAYS). Absent on older items. */
  expiresAt?: string;
  revokedAt?: string;
  /** SMS sent again on the inviter's request (POST /api/invitations/:id/resend). */
  resendCount?: number;
  /** The latest SMS request (creation or resend): the resend cooldown counts from it. */
  lastSendRequestedAt?: string;
  /** Idempotency-Key of the latest resend: its retry is answered as a success, never a second SMS. */
  lastResendKey?: string;
  provider?: string;
  providerMessageId?: string;
}

/** Who is calling: from the verified JWT. */
export interface Caller {
  /** `sub`: the inviter_user_id of invitations this caller creates. */
  userId: string;
  /**
   * The `name` claim made safe by `safeDisplayName` when the token was read (never empty: a token
   * without a usable name gets the fallback). Shown in the SMS text.
   */
  name: string;
}
