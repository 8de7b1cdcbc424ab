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
