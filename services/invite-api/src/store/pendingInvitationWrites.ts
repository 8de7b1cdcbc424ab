import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Invitation } from '../domain/invitation.ts';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import { FINAL_RANK, RESENDABLE_STATUSES, STATUS_RANK } from '../domain/status.ts';
import { secondsUntil, utcDayWindow, utcHourWindow } from '../domain/windows.ts';
import {
  globalHourUpdate,
  outboxPut,
  userQuotaUpdate,
  type InvitationLimits,
} from './createInvitationTransaction.ts';
import { fromInvitationItem } from './invitationItem.ts';
import { keys } from './keys.ts';

// The writes an inviter makes to a pending invitation: revoke and resend. Each is one transaction
// whose conditions are the policy (docs/invitations.md, "Expiry, revoke and resend").

export type RevokeOutcome =
  | { kind: 'revoked'; invitation: Invitation }
  /** Revoked before: revoking is idempotent. */
  | { kind: 'already-revoked'; invitation: Invitation }
  | { kind: 'not-revocable'; invitation: Invitation; reason: 'ACCEPTED' | 'EXPIRED' }
  /** Absent, or another user's (which the caller must not learn exists). */
  | { kind: 'not-found' }
  | { kind: 'contention' };

const PENDING = 'status_rank < :final';
const NOT_EXPIRED = '(attribute_not_exists(expires_at) OR expires_at > :now)';

/**
 * Revokes a pending invitation of `userId`: the status becomes `revoked` (final) and the SMS still
 * waiting in the outbox, if the relay has not sent it yet, is dropped in the same transaction.
 */
export async function revokeInvitationTransaction(
  client: DynamoDBDocumentClient,
  table: string,
  { invitationId, userId, now }: { invitationId: string; userId: string; now: string },
): Promise<RevokeOutcome> {
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.invitation(invitationId),
              UpdateExpression:
                'SET #status = :revoked, status_rank = :final, revoked_at = :now, updated_at = :now',
              ConditionExpression: `attribute_exists(pk) AND inviter_user_id = :user AND ${PENDING} AND ${NOT_EXPIRED}`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':revoked': 'revoked',
                ':final': STATUS_RANK.revoked,
                ':now': now,
                ':user': userId,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Delete: { TableName: table, Key: keys.outbox(invitationId) } },
        ],
      }),
    );
    return { kind: 'revoked', invitation: await readBack(client, table, invitationId) };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reason = error.CancellationReasons?.[0];
    if (reason?.Code === 'ConditionalCheckFailed') {
      if (reason.Item === undefined) return { kind: 'not-found' };
      const current = fromInvitationItem(unmarshall(reason.Item));
      if (current.inviterUserId !== userId) return { kind: 'not-found' };
      if (current.status === 'revoked') return { kind: 'already-revoked', invitation: current };
      if (current.status === 'accepted')
        return { kind: 'not-revocable', invitation: current, reason: 'ACCEPTED' };
      return { kind: 'not-revocable', invitation: current, reason: 'EXPIRED' };
    }
    if (error.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'))
      return { kind: 'contention' };
    throw error;
  }
}

export interface ResendWrite {
  /** The invitation as read just before; its resend count is the optimistic-lock value. */
  invitation: Invitation;
  userId: string;
  /** The SMS of this resend, its send id being sendIdFor(invitationId, resendCount + 1). */
  outbox: OutboxMessage;
  outboxDueAt: number;
  now: number;
  limits: InvitationLimits;
  globalShard: number;
  maxResends: number;
  cooldownMs: number;
  /** The client's Idempotency-Key: a retry of a resend that took effect is answered as `resent`. */
  idempotencyKey?: string;
}

export type ResendOutcome =
  | { kind: 'resent'; invitation: Invitation }
  /** This Idempotency-Key's resend already happened (its response was lost): nothing sent again. */
  | { kind: 'replayed'; invitation: Invitation }
  | { kind: 'not-found' }
  | { kind: 'not-pending'; invitation: Invitation }
  | { kind: 'max-resends'; invitation: Invitation }
  | { kind: 'too-soon'; invitation: Invitation; retryAfterSeconds: number }
  | { kind: 'suppressed' }
  | { kind: 'user-limited'; retryAfterSeconds: number }
  | { kind: 'global-ceiling'; retryAfterSeconds: number }
  /** The invitation changed since it was read (a concurrent resend), or a TransactionConflict: retry. */
  | { kind: 'contention' };

const RESEND_INVITATION = 0;
const RESEND_QUOTA = 2;
const RESEND_SUPPRESSION = 3;
const RESEND_GLOBAL = 4;

/**
 * Sends an invitation's SMS again, with the same code, as ONE transaction: the invitation's resend
 * count and time (conditional on who asks, status, expiry, MAX_RESENDS, the cooldown and the count
 * read before, so two concurrent resends cannot both pass), the new outbox message, +1 on the
 * caller's daily counter, "the number has not opted out" and +1 on the global hourly counter.
 */
export async function resendInvitationTransaction(
  client: DynamoDBDocumentClient,
  table: string,
  write: ResendWrite,
): Promise<ResendOutcome> {
  const { invitation, now, limits } = write;
  const key = write.idempotencyKey;
  if (key !== undefined && invitation.lastResendKey === key) return { kind: 'replayed', invitation };
  // MAX_RESENDS is checked against the count read before; the condition `resend_count = :seen`
  // makes that read the one the write applies to.
  if ((invitation.resendCount ?? 0) >= write.maxResends) return { kind: 'max-resends', invitation };
  const nowIso = new Date(now).toISOString();
  const seenCount = invitation.resendCount ?? 0;
  const cooldownCutoff = new Date(now - write.cooldownMs).toISOString();
  const day = utcDayWindow(now);
  const hour = utcHourWindow(now);
  const resendable = RESENDABLE_STATUSES.map((_, i) => `:resendable${i}`);
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
    {
      Update: {
        TableName: table,
        Key: keys.invitation(invitation.invitationId),
        UpdateExpression: `SET resend_count = :next, last_send_requested_at = :now, updated_at = :now${key === undefined ? '' : ', last_resend_key = :key'}`,
        ConditionExpression: [
          'attribute_exists(pk)',
          'inviter_user_id = :user',
          `#status IN (${resendable.join(', ')})`,
          NOT_EXPIRED,
          '(attribute_not_exists(resend_count) OR resend_count = :seen)',
          '(attribute_not_exists(last_send_requested_at) OR last_send_requested_at <= :cutoff)',
          'created_at <= :cutoff',
          ...(key === undefined
            ? []
            : ['(attribute_not_exists(last_resend_key) OR last_resend_key <> :key)']),
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(RESENDABLE_STATUSES.map((status, i) => [`:resendable${i}`, status])),
          ':user': write.userId,
          ':now': nowIso,
          ':seen': seenCount,
          ':next': seenCount + 1,
          ':cutoff': cooldownCutoff,
          ...(key === undefined ? {} : { ':key': key }),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    outboxPut(table, write.outbox, { dueAt: write.outboxDueAt, createdAt: nowIso }),
    userQuotaUpdate(table, write.userId, day, limits),
    {
      ConditionCheck: {
        TableName: table,
        Key: keys.suppression(invitation.phoneNumber),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    globalHourUpdate(table, hour, write.globalShard, limits),
  ];

  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
    return {
      kind: 'resent',
      invitation: {
        ...invitation,
        resendCount: seenCount + 1,
        lastSendRequestedAt: nowIso,
        updatedAt: nowIso,
      },
    };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
    if (failed(RESEND_INVITATION)) {
      const old = reasons[RESEND_INVITATION]?.Item;
      if (old === undefined) return { kind: 'not-found' };
      return explainResendRefusal(fromInvitationItem(unmarshall(old)), write);
    }
    if (failed(RESEND_SUPPRESSION)) return { kind: 'suppressed' };
    if (failed(RESEND_QUOTA))
      return { kind: 'user-limited', retryAfterSeconds: secondsUntil(day.endsAt, now) };
    if (failed(RESEND_GLOBAL))
      return { kind: 'global-ceiling', retryAfterSeconds: secondsUntil(hour.endsAt, now) };
    // The outbox item of this send id exists: a concurrent resend with the same count won.
    if (failed(1) || reasons.some((r) => r.Code === 'TransactionConflict')) return { kind: 'contention' };
    throw error;
  }
}

/** The most useful reason first: who asks, then final states, then the limits. */
function explainResendRefusal(current: Invitation, write: ResendWrite): ResendOutcome {
  if (current.inviterUserId !== write.userId) return { kind: 'not-found' };
  if (write.idempotencyKey !== undefined && current.lastResendKey === write.idempotencyKey) {
    return { kind: 'replayed', invitation: current };
  }
  const expired = current.expiresAt !== undefined && Date.parse(current.expiresAt) <= write.now;
  if (STATUS_RANK[current.status] >= FINAL_RANK || expired || !RESENDABLE_STATUSES.includes(current.status)) {
    return { kind: 'not-pending', invitation: current };
  }
  const count = current.resendCount ?? 0;
  if (count !== (write.invitation.resendCount ?? 0)) return { kind: 'contention' };
  if (count >= write.maxResends) return { kind: 'max-resends', invitation: current };
  const last = Date.parse(current.lastSendRequestedAt ?? current.createdAt);
  return {
    kind: 'too-soon',
    invitation: current,
    retryAfterSeconds: secondsUntil(last + write.cooldownMs, write.now),
  };
}

async function readBack(
  client: DynamoDBDocumentClient,
  table: string,
  invitationId: string,
): Promise<Invitation> {
  const { Item } = await client.send(
    new GetCommand({ TableName: table, Key: keys.invitation(invitationId), ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error(`invitation ${invitationId} vanished after its revoke`);
  return fromInvitationItem(Item);
}
