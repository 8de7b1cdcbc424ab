import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Invitation } from '../domain/invitation.ts';
import type { Reward, RewardSummary } from '../domain/rewards.ts';
import { invitationIdOfSend } from '../domain/sendId.ts';
import { STATUS_RANK } from '../domain/status.ts';
import { acceptInvitationTransaction, type AcceptOutcome, type AcceptWrite } from './acceptTransaction.ts';
import {
  writeInvitationTransaction,
  type CreateInvitationOutcome,
  type CreateInvitationWrite,
} from './createInvitationTransaction.ts';
import { fromInvitationItem } from './invitationItem.ts';
import { REWARD_SORT_PREFIX, gsi1, keys } from './keys.ts';
import {
  resendInvitationTransaction,
  revokeInvitationTransaction,
  type ResendOutcome,
  type ResendWrite,
  type RevokeOutcome,
} from './pendingInvitationWrites.ts';

export type { AcceptOutcome, AcceptWrite } from './acceptTransaction.ts';
export type { ResendOutcome, ResendWrite, RevokeOutcome } from './pendingInvitationWrites.ts';

export interface StatusReport {
  invitationId: string;
  status: 'sent' | 'delivered' | 'failed';
  /** When the provider reported it (the event's occurredAt). */
  occurredAt: string;
  provider: string;
  providerMessageId?: string;
  error?: { code: string; message: string };
  /** Processing time, for updated_at. */
  now: string;
}

export type StatusOutcome =
  /** The status moved forward. */
  | { kind: 'applied'; invitation: Invitation }
  /** A repeated or out-of-order event: status unchanged (timestamps recorded if missing). */
  | { kind: 'stale'; invitation: Invitation }
  | { kind: 'unknown-invitation' };

export interface StoredResponse {
  requestHash: string;
  responseBody: string;
}

export type PageKey = Record<string, string>;

export interface InvitationPage {
  invitations: Invitation[];
  /** Present when there may be more: the GSI key of the last item. */
  lastKey?: PageKey;
}

export interface InvitationStore {
  create(write: CreateInvitationWrite): Promise<CreateInvitationOutcome>;
  get(invitationId: string): Promise<Invitation | undefined>;
  findInvitationIdByCode(inviteCode: string): Promise<string | undefined>;
  listByInviter(userId: string, options: { limit: number; startKey?: PageKey }): Promise<InvitationPage>;
  getStoredResponse(userId: string, idempotencyKey: string, now: number): Promise<StoredResponse | undefined>;
  applyStatus(report: StatusReport): Promise<StatusOutcome>;
  /** Acceptance and rewards in one transaction (store/acceptTransaction.ts). */
  accept(write: AcceptWrite): Promise<AcceptOutcome>;
  revoke(request: { invitationId: string; userId: string; now: string }): Promise<RevokeOutcome>;
  resend(write: ResendWrite): Promise<ResendOutcome>;
  /** The user's rewards, newest first, and the account's balance. */
  rewardsOf(userId: string): Promise<RewardSummary>;
  suppress(phoneNumber: string, entry: { reason: string; invitationId: string; now: string }): Promise<void>;
  /** A cheap read that fails when DynamoDB or the table is unreachable (readiness). */
  ping(signal?: AbortSignal): Promise<void>;
}

export interface InvitationStoreDeps {
  client: DynamoDBDocumentClient;
}

export interface InvitationStoreOptions {
  table: string;
}

export function createInvitationStore(
  { client }: InvitationStoreDeps,
  { table }: InvitationStoreOptions,
): InvitationStore {
  const getItem = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  return {
    create: (write) => writeInvitationTransaction(client, table, write),

    async get(invitationId) {
      const item = await getItem(keys.invitation(invitationId));
      return item === undefined ? undefined : fromInvitationItem(item);
    },

    async findInvitationIdByCode(inviteCode) {
      const item = await getItem(keys.code(inviteCode));
      return typeof item?.invitation_id === 'string' ? item.invitation_id : undefined;
    },

    async listByInviter(userId, { limit, startKey }) {
      const result = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: gsi1.name,
          KeyConditionExpression: 'gsi1pk = :inviter',
          ExpressionAttributeValues: { ':inviter': gsi1.inviter(userId) },
          ScanIndexForward: false, // newest first: gsi1sk starts with created_at
          Limit: limit,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      const invitations = (result.Items ?? []).map(fromInvitationItem);
      const last = result.LastEvaluatedKey;
      return last === undefined ? { invitations } : { invitations, lastKey: stringKey(last) };
    },

    async getStoredResponse(userId, idempotencyKey, now) {
      const item = await getItem(keys.idempotency(userId, idempotencyKey));
      if (item === undefined || typeof item.expires_at !== 'number' || item.expires_at <= now)
        return undefined;
      if (typeof item.request_hash !== 'string' || typeof item.response_body !== 'string') return undefined;
      return { requestHash: item.request_hash, responseBody: item.response_body };
    },

    async applyStatus(sent) {
      // Events of a resend carry its send id (domain/sendId.ts); they belong to the invitation.
      const report = { ...sent, invitationId: invitationIdOfSend(sent.invitationId) };
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = {
        ':status': report.status,
        ':rank': STATUS_RANK[report.status],
        ':now': report.now,
        ':at': report.occurredAt,
        ':provider': report.provider,
      };
      const sets = ['#status = :status', 'status_rank = :rank', 'updated_at = :now', 'provider = :provider'];
      if (report.providerMessageId !== undefined) {
        sets.push('provider_message_id = :pmid');
        values[':pmid'] = report.providerMessageId;
      }
      const timestamp = TIMESTAMP_OF[report.status];
      sets.push(`${timestamp} = if_not_exists(${timestamp}, :at)`);
      if (report.status === 'failed' && report.error !== undefined) {
        sets.push('failure_code = :code', 'failure_message = :message');
        values[':code'] = report.error.code;
        values[':message'] = report.error.message;
      }
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.invitation(report.invitationId),
            UpdateExpression: `SET ${sets.join(', ')}`,
            // The rank condition is what keeps a late "sent" from overwriting "delivered".
            ConditionExpression: 'attribute_exists(pk) AND status_rank < :rank',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { kind: 'applied', invitation: fromInvitationItem(Attributes ?? {}) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (error.Item === undefined) return { kind: 'unknown-invitation' };
        return { kind: 'stale', invitation: await recordLateTimestamp(report, error.Item) };
      }
    },

    accept: (write) => acceptInvitationTransaction(client, table, write),
    revoke: (request) => revokeInvitationTransaction(client, table, request),
    resend: (write) => resendInvitationTransaction(client, table, write),

    async rewardsOf(userId) {
      const [account, page] = await Promise.all([
        getItem(keys.rewardAccount(userId)),
        client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: {
              ':pk': keys.rewardAccount(userId).pk,
              ':prefix': REWARD_SORT_PREFIX,
            },
            ConsistentRead: true,
            // A user has at most REWARD_CAP_PER_INVITER + 1 rewards; 1 MiB of them is far more.
          }),
        ),
      ]);
      const rewards = (page.Items ?? []).flatMap(toReward);
      rewards.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return {
        balance: typeof account?.balance === 'number' ? account.balance : 0,
        referralCount: typeof account?.referral_count === 'number' ? account.referral_count : 0,
        rewards,
      };
    },

    async suppress(phoneNumber, entry) {
      // Idempotent: an opt-out is a fact about the number, repeated events agree. But an explicit,
      // timestamped STOP/START from sms.optout (ConsentStore.ts) is the recipient's latest word: a
      // late provider-reported failure must not undo a START, so it never overwrites one.
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...keys.suppression(phoneNumber),
              type: 'suppression',
              reason: entry.reason,
              invitation_id: entry.invitationId,
              suppressed_at: entry.now,
            },
            ConditionExpression: 'attribute_not_exists(consent_changed_at)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async ping(signal) {
      await client.send(
        new GetCommand({ TableName: table, Key: { pk: 'HEALTH', sk: 'HEALTH' } }),
        signal === undefined ? {} : { abortSignal: signal },
      );
    },
  };

  /** A status that does not move the invitation still fills its own timestamp if missing. */
  async function recordLateTimestamp(
    report: StatusReport,
    old: Record<string, AttributeValue>,
  ): Promise<Invitation> {
    const current = fromInvitationItem(unmarshall(old));
    if (report.status === 'failed') return current;
    const timestamp = TIMESTAMP_OF[report.status];
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.invitation(report.invitationId),
        UpdateExpression: `SET ${timestamp} = if_not_exists(${timestamp}, :at)`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': report.occurredAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes === undefined ? current : fromInvitationItem(Attributes);
  }
}

const TIMESTAMP_OF = { sent: 'sent_at', delivered: 'delivered_at', failed: 'failed_at' } as const;

function toReward(item: Record<string, unknown>): Reward[] {
  const { reward_kind: kind, points, invitation_id: invitationId, created_at: createdAt, sk } = item;
  if (
    (kind !== 'referral' && kind !== 'welcome') ||
    typeof points !== 'number' ||
    typeof invitationId !== 'string' ||
    typeof createdAt !== 'string' ||
    typeof sk !== 'string'
  )
    return [];
  return [{ rewardId: `${kind}-${invitationId}`, kind, points, invitationId, createdAt }];
}

/** LastEvaluatedKey of the GSI: pk, sk, gsi1pk, gsi1sk, all strings in this table. */
function stringKey(key: Record<string, unknown>): PageKey {
  return Object.fromEntries(
    Object.entries(key).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
