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
import { STATUS_RANK } from '../domain/status.ts';
import {
  writeInvitationTransaction,
  type CreateInvitationOutcome,
  type CreateInvitationWrite,
} from './createInvitationTransaction.ts';
import { fromInvitationItem } from './invitationItem.ts';
import { gsi1, keys } from './keys.ts';

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

export type AcceptOutcome =
  | { kind: 'accepted'; invitation: Invitation }
  /** Accepted before by the same user: answered as a success, so a retried accept is harmless. */
  | { kind: 'already-accepted-by-caller'; invitation: Invitation }
  | { kind: 'already-accepted'; invitation: Invitation }
  | { kind: 'own-invitation' }
  | { kind: 'not-found' };

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
  accept(invitationId: string, userId: string, now: string): Promise<AcceptOutcome>;
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

    async applyStatus(report) {
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

    async accept(invitationId, userId, now) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.invitation(invitationId),
            UpdateExpression:
              'SET #status = :accepted, status_rank = :rank, accepted_at = :now, accepted_by = :user, updated_at = :now',
            ConditionExpression: 'attribute_exists(pk) AND status_rank < :rank AND inviter_user_id <> :user',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':accepted': 'accepted',
              ':rank': STATUS_RANK.accepted,
              ':now': now,
              ':user': userId,
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { kind: 'accepted', invitation: fromInvitationItem(Attributes ?? {}) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (error.Item === undefined) return { kind: 'not-found' };
        const invitation = fromInvitationItem(unmarshall(error.Item));
        if (invitation.inviterUserId === userId) return { kind: 'own-invitation' };
        if (invitation.acceptedBy === userId) return { kind: 'already-accepted-by-caller', invitation };
        return { kind: 'already-accepted', invitation };
      }
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

/** LastEvaluatedKey of the GSI: pk, sk, gsi1pk, gsi1sk, all strings in this table. */
function stringKey(key: Record<string, unknown>): PageKey {
  return Object.fromEntries(
    Object.entries(key).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
