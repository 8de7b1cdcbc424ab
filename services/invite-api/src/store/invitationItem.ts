import type { Invitation } from '../domain/invitation.ts';
import { STATUS_RANK, isInvitationStatus } from '../domain/status.ts';
import { gsi1, keys } from './keys.ts';

/** The stored shape: attribute names follow the suggested schema (snake_case). */
export interface InvitationItem {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
  type: 'invitation';
  invitation_id: string;
  inviter_user_id: string;
  inviter_name: string;
  phone_number: string;
  invite_code: string;
  referral_url: string;
  status: string;
  status_rank: number;
  created_at: string;
  updated_at: string;
  sent_at?: string;
  delivered_at?: string;
  failed_at?: string;
  failure_code?: string;
  failure_message?: string;
  accepted_at?: string;
  accepted_by?: string;
  provider?: string;
  provider_message_id?: string;
  expires_at?: string;
  revoked_at?: string;
  resend_count?: number;
  last_send_requested_at?: string;
  last_resend_key?: string;
}

export function toInvitationItem(invitation: Invitation): InvitationItem {
  return {
    ...keys.invitation(invitation.invitationId),
    gsi1pk: gsi1.inviter(invitation.inviterUserId),
    gsi1sk: gsi1.inviterSort(invitation.createdAt, invitation.invitationId),
    type: 'invitation',
    invitation_id: invitation.invitationId,
    inviter_user_id: invitation.inviterUserId,
    inviter_name: invitation.inviterName,
    phone_number: invitation.phoneNumber,
    invite_code: invitation.inviteCode,
    referral_url: invitation.referralUrl,
    status: invitation.status,
    status_rank: STATUS_RANK[invitation.status],
    created_at: invitation.createdAt,
    updated_at: invitation.updatedAt,
    ...(invitation.expiresAt === undefined ? {} : { expires_at: invitation.expiresAt }),
    resend_count: invitation.resendCount ?? 0,
    last_send_requested_at: invitation.lastSendRequestedAt ?? invitation.createdAt,
  };
}

export function fromInvitationItem(item: Record<string, unknown>): Invitation {
  const text = (name: string): string | undefined => {
    const value = item[name];
    return typeof value === 'string' ? value : undefined;
  };
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined) throw new Error(`invitation item ${String(item.pk)} has no ${name}`);
    return value;
  };
  const status = required('status');
  if (!isInvitationStatus(status)) throw new Error(`invitation item ${String(item.pk)} has status ${status}`);
  const failureCode = text('failure_code');
  return {
    invitationId: required('invitation_id'),
    inviterUserId: required('inviter_user_id'),
    inviterName: required('inviter_name'),
    phoneNumber: required('phone_number'),
    inviteCode: required('invite_code'),
    referralUrl: required('referral_url'),
    status,
    createdAt: required('created_at'),
    updatedAt: required('updated_at'),
    ...optional('sentAt', text('sent_at')),
    ...optional('deliveredAt', text('delivered_at')),
    ...optional('failedAt', text('failed_at')),
    ...optional('acceptedAt', text('accepted_at')),
    ...optional('acceptedBy', text('accepted_by')),
    ...optional('provider', text('provider')),
    ...optional('providerMessageId', text('provider_message_id')),
    ...optional('expiresAt', text('expires_at')),
    ...optional('revokedAt', text('revoked_at')),
    ...optional('lastSendRequestedAt', text('last_send_requested_at')),
    ...optional('lastResendKey', text('last_resend_key')),
    ...(typeof item.resend_count === 'number' ? { resendCount: item.resend_count } : {}),
    ...(failureCode === undefined
      ? {}
      : { failure: { code: failureCode, message: text('failure_message') ?? '' } }),
  };
}

function optional<K extends string>(field: K, value: string | undefined): Partial<Record<K, string>> {
  return (value === undefined ? {} : { [field]: value }) as Partial<Record<K, string>>;
}
