import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import type { MessageAttributeValue as SqsAttributeValue } from '@aws-sdk/client-sqs';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import { STATUS_RANK } from '../domain/status.ts';
import { epochSeconds } from '../domain/windows.ts';
import { outboxSortKey } from './createInvitationTransaction.ts';
import { gsi1, keys } from './keys.ts';
import { invitationIdOfSend } from '../domain/sendId.ts';

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
  /**
   * remove() for many items in BatchWriteItem calls of up to 25 deletes. Items DynamoDB leaves
   * unprocessed (throttling) are retried once after a short pause; the ids still left are returned
   * (their messages are on the queue: the relay sends them again, harmlessly). Throws when a call
   * fails as a whole.
   */
  removeMany(invitationIds: readonly string[]): Promise<string[]>;
  /**
   * The queue refused the message for good (its content): the item leaves the relay's partition,
   * keeping the message and the reason for inspection, and the invitation becomes `failed` with
   * that reason, in one transaction. Idempotent.
   */
  markFailed(invitationId: string, failure: OutboxFailure, now: number): Promise<MarkFailedOutcome>;
}

export interface OutboxFailure {
  /** Stable, for API clients: the invitation's `failure.code`. */
  code: string;
  /** What the queue said; never the message's content. */
  message: string;
}

export type MarkFailedOutcome =
  /** Item marked and invitation failed. */
  | 'failed'
  /** Item marked; the invitation had already moved on (or is gone) and keeps its status. */
  | 'invitation-unchanged'
  /** The item was no longer pending (marked or sent by another relay meanwhile): nothing changed. */
  | 'not-pending';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_MAX = 25;
/** Base pause before the one retry of unprocessed deletes (plus up to as much again, jitter). */
const UNPROCESSED_RETRY_MS = 50;

/** How long a refused outbox item is kept for inspection before DynamoDB's TTL removes it. */
export const FAILED_OUTBOX_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

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

    async removeMany(invitationIds) {
      // One key twice in a BatchWriteItem is a ValidationException for the whole call.
      const unique = [...new Set(invitationIds)];
      const left: string[] = [];
      for (let start = 0; start < unique.length; start += BATCH_WRITE_MAX) {
        let ids = unique.slice(start, start + BATCH_WRITE_MAX);
        for (let attempt = 0; ids.length > 0; attempt++) {
          const result = await client.send(
            new BatchWriteCommand({
              RequestItems: {
                [table]: ids.map((id) => ({ DeleteRequest: { Key: keys.outbox(id) } })),
              },
            }),
          );
          ids = (result.UnprocessedItems?.[table] ?? []).flatMap((request) => {
            const sk: unknown = request.DeleteRequest?.Key?.sk;
            const pk: unknown = request.DeleteRequest?.Key?.pk;
            const id = ids.find((candidate) => {
              const key = keys.outbox(candidate);
              return key.pk === pk && key.sk === sk;
            });
            return id === undefined ? [] : [id];
          });
          if (ids.length === 0) break;
          if (attempt >= 1) {
            left.push(...ids);
            break;
          }
          // DynamoDB's advice for unprocessed items is to back off; one short pause, then the relay.
          await delay(UNPROCESSED_RETRY_MS + Math.random() * UNPROCESSED_RETRY_MS);
        }
      }
      return left;
    },

    async markFailed(invitationId, failure, now) {
      const at = new Date(now).toISOString();
      const markItem = {
        Update: {
          TableName: table,
          Key: keys.outbox(invitationId),
          UpdateExpression:
            'SET gsi1pk = :failed, gsi1sk = :sortKey, failure_code = :code, failure_message = :message, failed_at = :at, #ttl = :ttl',
          // Only a pending item: a second relay (or a retry of this write) changes nothing.
          ConditionExpression: 'attribute_exists(pk) AND gsi1pk = :pending',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':failed': gsi1.outboxFailed,
            ':pending': gsi1.outboxPending,
            ':sortKey': `${at}#${invitationId}`,
            ':code': failure.code,
            ':message': failure.message,
            ':at': at,
            ':ttl': epochSeconds(now + FAILED_OUTBOX_RETENTION_MS),
          },
        },
      };
      const failInvitation = {
        Update: {
          TableName: table,
          // A resend's outbox item is keyed by its send id (`<invitationId>_resend<N>`).
          Key: keys.invitation(invitationIdOfSend(invitationId)),
          UpdateExpression:
            'SET #status = :status, status_rank = :rank, failed_at = if_not_exists(failed_at, :at), failure_code = :code, failure_message = :message, updated_at = :at',
          // The same rank rule as every status change: a status that moved on is never overwritten.
          ConditionExpression: 'attribute_exists(pk) AND status_rank < :rank',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': 'failed',
            ':rank': STATUS_RANK.failed,
            ':at': at,
            ':code': failure.code,
            ':message': failure.message,
          },
        },
      };
      try {
        await client.send(new TransactWriteCommand({ TransactItems: [markItem, failInvitation] }));
        return 'failed';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [itemReason, invitationReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (itemReason === 'ConditionalCheckFailed') return 'not-pending';
        if (invitationReason !== 'ConditionalCheckFailed') throw error;
      }
      try {
        await client.send(new UpdateCommand(markItem.Update));
        return 'invitation-unchanged';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'not-pending';
        throw error;
      }
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
