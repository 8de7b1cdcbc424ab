import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { MessageAttributeValue as SqsAttributeValue } from '@aws-sdk/client-sqs';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import { outboxSortKey } from './createInvitationTransaction.ts';
import { gsi1, keys } from './keys.ts';

export interface PendingOutboxItem extends OutboxMessage {
  attempts: number;
  /** The value the claim is conditional on (optimistic lock between relays). */
  nextAttemptAt: number;
}

/** The transactional outbox: items written with the invitation, removed once SQS has the message. */
export interface OutboxStore {
  /** Items due at `now`, oldest first (GSI query: eventually consistent, which only delays a retry). */
  listDue(now: number, limit: number): Promise<PendingOutboxItem[]>;
  /**
   * Takes an item for one attempt by moving its due time to `retryAt`: if the attempt fails the item is
   * due again then. False when another relay claimed it first (or it was sent meanwhile).
   */
  claim(item: PendingOutboxItem, retryAt: number): Promise<boolean>;
  /** The message is on the queue: the item is done. */
  remove(invitationId: string): Promise<void>;
}

export function createOutboxStore(
  { client }: { client: DynamoDBDocumentClient },
  { table }: { table: string },
): OutboxStore {
  return {
    async listDue(now, limit) {
      const result = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: gsi1.name,
          // gsi1sk starts with the due time (ISO), so "due" is a key condition, not a filter.
          KeyConditionExpression: 'gsi1pk = :pending AND gsi1sk < :cutoff',
          ExpressionAttributeValues: {
            ':pending': gsi1.outboxPending,
            ':cutoff': new Date(now + 1).toISOString(),
          },
          Limit: limit,
        }),
      );
      return (result.Items ?? []).flatMap((item) => {
        const parsed = parseOutboxItem(item);
        return parsed === undefined ? [] : [parsed];
      });
    },

    async claim(item, retryAt) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.outbox(item.invitationId),
            UpdateExpression: 'SET next_attempt_at = :retryAt, gsi1sk = :sortKey ADD attempts :one',
            ConditionExpression: 'attribute_exists(pk) AND next_attempt_at = :seen',
            ExpressionAttributeValues: {
              ':retryAt': retryAt,
              ':sortKey': outboxSortKey(retryAt, item.invitationId),
              ':one': 1,
              ':seen': item.nextAttemptAt,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async remove(invitationId) {
      await client.send(new DeleteCommand({ TableName: table, Key: keys.outbox(invitationId) }));
    },
  };
}

function parseOutboxItem(item: Record<string, unknown>): PendingOutboxItem | undefined {
  const { invitation_id: invitationId, message_body: body, message_attributes: attributes } = item;
  const { attempts, next_attempt_at: nextAttemptAt } = item;
  const { invite_code: inviteCode, inviter_user_id: inviterUserId } = item;
  if (typeof invitationId !== 'string' || typeof body !== 'string' || typeof nextAttemptAt !== 'number')
    return undefined;
  return {
    invitationId,
    inviteCode: typeof inviteCode === 'string' ? inviteCode : undefined,
    inviterUserId: typeof inviterUserId === 'string' ? inviterUserId : undefined,
    body,
    attributes: isAttributeMap(attributes) ? attributes : {},
    attempts: typeof attempts === 'number' ? attempts : 0,
    nextAttemptAt,
  };
}

function isAttributeMap(value: unknown): value is Record<string, SqsAttributeValue> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as SqsAttributeValue).DataType === 'string',
    )
  );
}
