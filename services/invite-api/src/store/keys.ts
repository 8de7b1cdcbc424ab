/**
 * Key design of the single `<env>-invitations` table (pk/sk strings, GSI gsi1 on gsi1pk/gsi1sk,
 * TTL attribute `ttl`). Identifiers sit in their own key part, never concatenated with another
 * identifier in the same part, so a user id containing `#` cannot collide with another key.
 * docs/invitations.md has the same table with access patterns.
 */

export interface ItemKey {
  pk: string;
  sk: string;
}

export const keys = {
  /** The invitation itself. gsi1: INVITER#<userId> / <createdAt>#<invitationId> (list newest first). */
  invitation: (invitationId: string): ItemKey => ({ pk: `INVITATION#${invitationId}`, sk: 'INVITATION' }),
  /** Pending sms.requested message of an invitation (transactional outbox). gsi1: OUTBOX#PENDING. */
  outbox: (invitationId: string): ItemKey => ({
    pk: `INVITATION#${invitationId}`,
    sk: 'OUTBOX#sms.requested',
  }),
  /** Uniqueness of an invite code, and code -> invitation lookup for accept. */
  code: (inviteCode: string): ItemKey => ({ pk: `CODE#${inviteCode}`, sk: 'CODE' }),
  /** Per-user counter of one UTC day. */
  userQuota: (userId: string, dayKey: string): ItemKey => ({ pk: `USER#${userId}`, sk: `QUOTA#${dayKey}` }),
  /** The one-invitation-per-24-h guard of a phone number (who invited, until when). */
  phoneGuard: (e164: string): ItemKey => ({ pk: `PHONE#${e164}`, sk: 'GUARD' }),
  /** Present when the number opted out: never send to it again. */
  suppression: (e164: string): ItemKey => ({ pk: `PHONE#${e164}`, sk: 'SUPPRESSED' }),
  /** One shard of the global SMS counter of one UTC hour (the circuit breaker). */
  globalHour: (hourKey: string, shard: number): ItemKey => ({
    pk: 'GLOBAL#SMS',
    sk: `HOUR#${hourKey}#SHARD#${shard}`,
  }),
  /** Per-client-IP request counter of one fixed window. */
  ipWindow: (ip: string, windowKey: string): ItemKey => ({ pk: `IP#${ip}`, sk: `WINDOW#${windowKey}` }),
  /** A user's reward balance and referral count (the REWARD_CAP_PER_INVITER counter). */
  rewardAccount: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'REWARDS' }),
  /** One reward of a user, earned by one accepted invitation (at most one per user and invitation). */
  reward: (userId: string, invitationId: string): ItemKey => ({
    pk: `USER#${userId}`,
    sk: `REWARD#${invitationId}`,
  }),
  /** Which invitation brought a user in: a user is referred at most once. */
  referredBy: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'REFERRED_BY' }),
  /** A stored 201 response for (caller, Idempotency-Key). */
  idempotency: (userId: string, key: string): ItemKey => ({ pk: `IDEMPOTENCY#${userId}`, sk: `KEY#${key}` }),
};

/** Sort-key prefix of a user's reward items (Query with begins_with). */
export const REWARD_SORT_PREFIX = 'REWARD#';

export const gsi1 = {
  name: 'gsi1',
  inviter: (userId: string) => `INVITER#${userId}`,
  inviterSort: (createdAt: string, invitationId: string) => `${createdAt}#${invitationId}`,
  outboxPending: 'OUTBOX#PENDING',
  /** Outbox items the queue refused for good: out of the relay's partition, kept for inspection. */
  outboxFailed: 'OUTBOX#FAILED',
};
