import { TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Invitation } from '../domain/invitation.ts';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import {
  ONE_DAY_MS,
  epochSeconds,
  secondsUntil,
  utcDayWindow,
  utcHourWindow,
  type TimeWindow,
} from '../domain/windows.ts';
import { OPTED_IN } from './ConsentStore.ts';
import { toInvitationItem } from './invitationItem.ts';
import { gsi1, keys } from './keys.ts';

export interface InvitationLimits {
  /** Invitations one user may create per UTC calendar day. */
  perUserPerDay: number;
  /** How long one invitation blocks further invitations to the same number (rolling). */
  phoneWindowMs: number;
  /** SMS the whole service may request per UTC clock hour (the circuit breaker). */
  globalPerHour: number;
  /**
   * The hourly counter is split into this many items, each allowing globalPerHour / shards: every
   * invitation writes one, and on DynamoDB concurrent transactions on one item cancel each other
   * (TransactionConflict), so one global item would serialise all invitations of the service.
   */
  globalShards: number;
}

/** A 201 response remembered for an Idempotency-Key. */
export interface IdempotentWrite {
  key: string;
  requestHash: string;
  responseBody: string;
  /** How long a replay is possible. */
  retentionMs: number;
}

export interface CreateInvitationWrite {
  invitation: Invitation;
  outbox: OutboxMessage;
  /** When the relay may first pick the outbox item up (after the inline send had its chance). */
  outboxDueAt: number;
  now: number;
  limits: InvitationLimits;
  /** Which shard of the global counter this write charges, 0 .. globalShards - 1 (chosen at random). */
  globalShard: number;
  idempotency?: IdempotentWrite;
}

/** Expected outcomes are values; only unexpected failures throw. */
export type CreateInvitationOutcome =
  | { kind: 'created' }
  | { kind: 'idempotency-key-taken' }
  | { kind: 'suppressed' }
  | { kind: 'duplicate'; existing: { invitationId: string; inviteCode: string } }
  | { kind: 'phone-limited'; retryAfterSeconds: number }
  | { kind: 'user-limited'; retryAfterSeconds: number }
  | { kind: 'global-ceiling'; retryAfterSeconds: number }
  | { kind: 'code-taken' }
  | { kind: 'id-taken' }
  /** TransactionConflict: another transaction held one of the items (a hot counter); retry. */
  | { kind: 'contention' };

// Positions in TransactItems, so CancellationReasons (same order) tell which guard failed.
const INVITATION = 0;
const CODE = 1;
const OUTBOX = 2;
const USER_QUOTA = 3;
const PHONE_GUARD = 4;
const SUPPRESSION = 5;
const GLOBAL_HOUR = 6;
const IDEMPOTENCY = 7;

/**
 * Writes an invitation and every guard in ONE TransactWriteItems, so either all of it happens or none:
 * the invitation, its unique code, the outbox message, +1 on the user's daily counter, the phone's
 * 24-hour guard, "not suppressed", +1 on the global hourly counter and the idempotency record.
 * Concurrent requests serialise on the counter items; none can exceed a limit and a rejected request
 * changes no counter (nothing to drift or to give back).
 */
export async function writeInvitationTransaction(
  client: DynamoDBDocumentClient,
  table: string,
  write: CreateInvitationWrite,
): Promise<CreateInvitationOutcome> {
  const { invitation, now, limits } = write;
  const day = utcDayWindow(now);
  const hour = utcHourWindow(now);
  const phoneGuardUntil = now + limits.phoneWindowMs;
  const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
    {
      Put: {
        TableName: table,
        Item: toInvitationItem(invitation),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...keys.code(invitation.inviteCode),
          type: 'code',
          invite_code: invitation.inviteCode,
          invitation_id: invitation.invitationId,
          created_at: invitation.createdAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    outboxPut(table, write.outbox, { dueAt: write.outboxDueAt, createdAt: invitation.createdAt }),
    userQuotaUpdate(table, invitation.inviterUserId, day, limits),
    {
      Put: {
        ...expiringPut(
          table,
          {
            ...keys.phoneGuard(invitation.phoneNumber),
            type: 'phone-guard',
            inviter_user_id: invitation.inviterUserId,
            invitation_id: invitation.invitationId,
            invite_code: invitation.inviteCode,
          },
          { expiresAt: phoneGuardUntil, now },
        ),
        // The blocking guard comes back in CancellationReasons: who invited (409 vs 429) and until when.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      ConditionCheck: {
        TableName: table,
        Key: keys.suppression(invitation.phoneNumber),
        // Blocked while the number is opted out: an item without opt_state (an OPTED_OUT send
        // failure) or with opted-out; a later START leaves the item with opted-in (ConsentStore.ts).
        ConditionExpression: 'attribute_not_exists(pk) OR opt_state = :optedIn',
        ExpressionAttributeValues: { ':optedIn': OPTED_IN },
      },
    },
    globalHourUpdate(table, hour, write.globalShard, limits),
  ];
  if (write.idempotency !== undefined) {
    const expiresAt = now + write.idempotency.retentionMs;
    items.push({
      Put: expiringPut(
        table,
        {
          ...keys.idempotency(invitation.inviterUserId, write.idempotency.key),
          type: 'idempotency',
          request_hash: write.idempotency.requestHash,
          response_status: 201,
          response_body: write.idempotency.responseBody,
          invitation_id: invitation.invitationId,
          created_at: invitation.createdAt,
        },
        { expiresAt, now },
      ),
    });
  }

  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
    return { kind: 'created' };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const outcome = interpretCancellation(error, write, { dayEndsAt: day.endsAt, hourEndsAt: hour.endsAt });
    if (outcome !== 'phone-guard-failed') return outcome;
    return phoneGuardOutcome(await blockingGuard(client, table, error, write.invitation.phoneNumber), write);
  }
}

/**
 * The pending sms.requested message (transactional outbox), keyed by its send id
 * (domain/sendId.ts): the invitation id for the first SMS, a derived id for each resend.
 */
export function outboxPut(
  table: string,
  message: OutboxMessage,
  { dueAt, createdAt }: { dueAt: number; createdAt: string },
) {
  return {
    Put: {
      TableName: table,
      Item: {
        ...keys.outbox(message.invitationId),
        gsi1pk: gsi1.outboxPending,
        gsi1sk: outboxSortKey(dueAt, message.invitationId),
        type: 'outbox',
        invitation_id: message.invitationId,
        invite_code: message.inviteCode,
        inviter_user_id: message.inviterUserId,
        message_body: message.body,
        message_attributes: message.attributes,
        attempts: 0,
        next_attempt_at: dueAt,
        created_at: createdAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** +1 on the user's counter of this UTC day, refused at the limit (a refused write changes nothing). */
export function userQuotaUpdate(table: string, userId: string, day: TimeWindow, limits: InvitationLimits) {
  return {
    Update: {
      TableName: table,
      Key: keys.userQuota(userId, day.key),
      UpdateExpression: 'ADD #count :one SET #type = :type, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
      ExpressionAttributeNames: { '#count': 'invitation_count', '#type': 'type', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':max': limits.perUserPerDay,
        ':type': 'user-quota',
        ':ttl': epochSeconds(day.endsAt + ONE_DAY_MS),
      },
    },
  };
}

/** +1 on one shard of the global hourly SMS counter (the circuit breaker). */
export function globalHourUpdate(table: string, hour: TimeWindow, shard: number, limits: InvitationLimits) {
  return {
    Update: {
      TableName: table,
      Key: keys.globalHour(hour.key, shard),
      UpdateExpression: 'ADD #count :one SET #type = :type, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
      ExpressionAttributeNames: { '#count': 'sms_count', '#type': 'type', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':one': 1,
        ':max': Math.floor(limits.globalPerHour / limits.globalShards),
        ':type': 'global-counter',
        ':ttl': epochSeconds(hour.endsAt + ONE_DAY_MS),
      },
    },
  };
}

/**
 * A Put of an item that lives until `expiresAt` and may then be overwritten. Correctness comes from
 * expires_at, not from TTL: TTL deletion lags by up to days, so TTL (a day later) only tidies up.
 */
function expiringPut(
  table: string,
  item: Record<string, unknown>,
  { expiresAt, now }: { expiresAt: number; now: number },
) {
  return {
    TableName: table,
    Item: { ...item, expires_at: expiresAt, ttl: epochSeconds(expiresAt + ONE_DAY_MS) },
    ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
    ExpressionAttributeValues: { ':now': now },
  };
}

function interpretCancellation(
  error: TransactionCanceledException,
  write: CreateInvitationWrite,
  windows: { dayEndsAt: number; hourEndsAt: number },
): CreateInvitationOutcome | 'phone-guard-failed' {
  const reasons = error.CancellationReasons ?? [];
  const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
  // Most specific first: when several guards fail at once, the client hears the one it can act on
  // (a replay, an opted-out number, a duplicate) rather than a generic limit.
  if (write.idempotency !== undefined && failed(IDEMPOTENCY)) return { kind: 'idempotency-key-taken' };
  if (failed(SUPPRESSION)) return { kind: 'suppressed' };
  if (failed(PHONE_GUARD)) return 'phone-guard-failed';
  if (failed(USER_QUOTA))
    return { kind: 'user-limited', retryAfterSeconds: secondsUntil(windows.dayEndsAt, write.now) };
  if (failed(GLOBAL_HOUR))
    return { kind: 'global-ceiling', retryAfterSeconds: secondsUntil(windows.hourEndsAt, write.now) };
  if (failed(CODE)) return { kind: 'code-taken' };
  if (failed(INVITATION) || failed(OUTBOX)) return { kind: 'id-taken' };
  if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { kind: 'contention' };
  throw error;
}

interface PhoneGuard {
  inviterUserId?: string;
  invitationId?: string;
  inviteCode?: string;
  expiresAt?: number;
}

/**
 * The guard that blocked the write. DynamoDB returns it in CancellationReasons (ALL_OLD); should a
 * reason come back without it, a consistent read of the guard is the fallback.
 */
async function blockingGuard(
  client: DynamoDBDocumentClient,
  table: string,
  error: TransactionCanceledException,
  phoneNumber: string,
): Promise<PhoneGuard> {
  const returned: Record<string, AttributeValue> | undefined = error.CancellationReasons?.[PHONE_GUARD]?.Item;
  const Item =
    returned === undefined
      ? (
          await client.send(
            new GetCommand({ TableName: table, Key: keys.phoneGuard(phoneNumber), ConsistentRead: true }),
          )
        ).Item
      : unmarshall(returned);
  return {
    inviterUserId: typeof Item?.inviter_user_id === 'string' ? Item.inviter_user_id : undefined,
    invitationId: typeof Item?.invitation_id === 'string' ? Item.invitation_id : undefined,
    inviteCode: typeof Item?.invite_code === 'string' ? Item.invite_code : undefined,
    expiresAt: typeof Item?.expires_at === 'number' ? Item.expires_at : undefined,
  };
}

function phoneGuardOutcome(guard: PhoneGuard, write: CreateInvitationWrite): CreateInvitationOutcome {
  const { inviterUserId, invitationId, inviteCode, expiresAt } = guard;
  if (
    inviterUserId === write.invitation.inviterUserId &&
    inviteCode !== undefined &&
    invitationId !== undefined
  ) {
    return { kind: 'duplicate', existing: { invitationId, inviteCode } };
  }
  const until =
    expiresAt !== undefined && Number.isFinite(expiresAt)
      ? expiresAt
      : write.now + write.limits.phoneWindowMs;
  return { kind: 'phone-limited', retryAfterSeconds: secondsUntil(until, write.now) };
}

/** Outbox items sort by when they are due, so the relay's query returns only due items, oldest first. */
export function outboxSortKey(dueAt: number, invitationId: string): string {
  return `${new Date(dueAt).toISOString()}#${invitationId}`;
}
