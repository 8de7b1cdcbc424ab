import type { Invitation } from '../domain/invitation.ts';

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
>;

export function invitationView(invitation: Invitation): InvitationView {
  const { invitationId, inviteCode, phoneNumber, status, referralUrl, createdAt, updatedAt } = invitation;
  return {
    invitationId,
    inviteCode,
    phoneNumber,
    status,
    referralUrl,
    createdAt,
    updatedAt,
    ...(invitation.sentAt === undefined ? {} : { sentAt: invitation.sentAt }),
    ...(invitation.deliveredAt === undefined ? {} : { deliveredAt: invitation.deliveredAt }),
    ...(invitation.failedAt === undefined ? {} : { failedAt: invitation.failedAt }),
    ...(invitation.failure === undefined ? {} : { failure: invitation.failure }),
    ...(invitation.acceptedAt === undefined ? {} : { acceptedAt: invitation.acceptedAt }),
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
  createdAt: string;
}
