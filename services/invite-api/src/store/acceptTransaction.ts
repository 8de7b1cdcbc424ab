import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Invitation } from '../domain/invitation.ts';
import type { RewardPolicy } from '../domain/rewards.ts';
import { FINAL_RANK, STATUS_RANK } from '../domain/status.ts';
import { fromInvitationItem } from './invitationItem.ts';
import { keys } from './keys.ts';

export interface AcceptWrite {
  /** The invitation as read just before (consistent read): its inviter is the reward's owner. */
  invitation: Invitation;
  userId: string;
  /** ISO time of the acceptance. */
  now: string;
  rewards: RewardPolicy;
  /** False once the inviter's reward cap is known to be reached: accept without a referral reward. */
  withReferralReward: boolean;
}

export type AcceptOutcome =
  | { kind: 'accepted'; invitation: Invitation; referralRewarded: boolean; welcomePoints: number }
  /** Accepted before by the same user: answered as a success, so a retried accept is harmless. */
  | { kind: 'already-accepted-by-caller'; invitation: Invitation }
  | { kind: 'already-accepted'; invitation: Invitation }
  | { kind: 'own-invitation' }
  | { kind: 'revoked'; invitation: Invitation }
  | { kind: 'expired'; invitation: Invitation }
  /** The caller already joined through another invitation: one referral per user. */
  | { kind: 'already-referred' }
  /** The inviter's reward counter is at REWARD_CAP_PER_INVITER: retry without the reward. */
  | { kind: 'reward-cap-reached' }
  | { kind: 'not-found' }
  /** TransactionConflict: a concurrent transaction held one of the items; retry. */
  | { kind: 'contention' };

// Positions in TransactItems, so CancellationReasons (same order) tell which condition failed.
const INVITATION = 0;
const REFERRED_BY = 1;
const REWARD_ACCOUNT = 2;

/**
 * Accepting is ONE TransactWriteItems: the invitation moves to accepted, the new user's "referred by"
 * marker, and (within the cap) the inviter's reward plus its counter, and the welcome reward. The
 * invitation's condition `status_rank < 3` admits exactly one acceptance, so however many accepts
 * race (the same user or different ones), one transaction commits and exactly one reward exists;
 * the losers see the accepted invitation and are answered from it.
 */
export async function acceptInvitationTransaction(
  client: DynamoDBDocumentClient,
  table: string,
  write: AcceptWrite,
): Promise<AcceptOutcome> {
  const { invitation, userId, now, rewards } = write;
  const inviter = invitation.inviterUserId;
  const referral = write.withReferralReward && rewards.referralPoints > 0 && rewards.capPerInviter > 0;
  const welcome = rewards.welcomePoints > 0;
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
    {
      Update: {
        TableName: table,
        Key: keys.invitation(invitation.invitationId),
        UpdateExpression:
          'SET #status = :accepted, status_rank = :rank, accepted_at = :now, accepted_by = :user, updated_at = :now',
        ConditionExpression: [
          'attribute_exists(pk)',
          // Still pending: not accepted (by anyone), revoked or otherwise final.
          'status_rank < :rank',
          'inviter_user_id <> :user',
          // Not expired; items written before expiry existed never expire.
          '(attribute_not_exists(expires_at) OR expires_at > :now)',
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':accepted': 'accepted',
          ':rank': STATUS_RANK.accepted,
          ':now': now,
          ':user': userId,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...keys.referredBy(userId),
          type: 'referred-by',
          invitation_id: invitation.invitationId,
          inviter_user_id: inviter,
          created_at: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  if (referral) {
    items.push(
      {
        Update: {
          TableName: table,
          Key: keys.rewardAccount(inviter),
          UpdateExpression: 'ADD referral_count :one, balance :points SET #type = :type, updated_at = :now',
          ConditionExpression: 'attribute_not_exists(referral_count) OR referral_count < :cap',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':points': rewards.referralPoints,
            ':cap': rewards.capPerInviter,
            ':type': 'reward-account',
            ':now': now,
          },
        },
      },
      {
        Put: {
          TableName: table,
          Item: rewardItem(inviter, invitation.invitationId, 'referral', rewards.referralPoints, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    );
  }
  if (welcome) {
    items.push(
      {
        Update: {
          TableName: table,
          Key: keys.rewardAccount(userId),
          UpdateExpression: 'ADD balance :points SET #type = :type, updated_at = :now',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':points': rewards.welcomePoints,
            ':type': 'reward-account',
            ':now': now,
          },
        },
      },
      {
        Put: {
          TableName: table,
          Item: rewardItem(userId, invitation.invitationId, 'welcome', rewards.welcomePoints, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    );
  }

  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
    return {
      kind: 'accepted',
      invitation: {
        ...invitation,
        status: 'accepted',
        acceptedAt: now,
        acceptedBy: userId,
        updatedAt: now,
      },
      referralRewarded: referral,
      welcomePoints: welcome ? rewards.welcomePoints : 0,
    };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
    if (failed(INVITATION)) {
      const old = reasons[INVITATION]?.Item;
      if (old === undefined) return { kind: 'not-found' };
      return explainRefusal(fromInvitationItem(unmarshall(old)), userId, now);
    }
    if (failed(REFERRED_BY)) return { kind: 'already-referred' };
    if (referral && failed(REWARD_ACCOUNT)) return { kind: 'reward-cap-reached' };
    if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { kind: 'contention' };
    throw error;
  }
}

/** Why the invitation's condition failed, from the item as it was (ALL_OLD). */
function explainRefusal(current: Invitation, userId: string, now: string): AcceptOutcome {
  if (current.inviterUserId === userId) return { kind: 'own-invitation' };
  if (current.status === 'accepted') {
    return current.acceptedBy === userId
      ? { kind: 'already-accepted-by-caller', invitation: current }
      : { kind: 'already-accepted', invitation: current };
  }
  if (current.status === 'revoked') return { kind: 'revoked', invitation: current };
  if (STATUS_RANK[current.status] >= FINAL_RANK) return { kind: 'expired', invitation: current };
  if (current.expiresAt !== undefined && current.expiresAt <= now)
    return { kind: 'expired', invitation: current };
  // The condition failed, yet the old item satisfies it: it changed in between; retry.
  return { kind: 'contention' };
}

function rewardItem(
  userId: string,
  invitationId: string,
  kind: 'referral' | 'welcome',
  points: number,
  now: string,
) {
  return {
    ...keys.reward(userId, invitationId),
    type: 'reward',
    reward_kind: kind,
    points,
    invitation_id: invitationId,
    user_id: userId,
    created_at: now,
  };
}
