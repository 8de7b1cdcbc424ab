import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProviderName } from '../providers/types.ts';

/**
 * sms-sender's lookups beside the send ledger, in the `<env>-sms-directory` table (partition key
 * `pk`), owned and written by sms-sender only:
 *
 * - `MSG#<provider>#<providerMessageId>` -> the invitation: delivery receipts (Twilio status
 *   callbacks, End User Messaging events, the local outbox) name the provider's message id, never
 *   ours. Written right after the provider accepted, before the ledger records the send, so it
 *   exists before any receipt can come back. Expires (TTL) after `messageRetentionMs`: carriers
 *   report within 72 h.
 * - `OPTOUT#<e164>` -> the recipient's consent (STOP/START): the suppression list. Never expires.
 *   The latest change by `changedAt` wins, whatever order the inbound messages arrive in.
 *
 * Strongly consistent GetItem by key everywhere: a GSI on the ledger would be eventually consistent
 * and could miss a receipt that arrives a few milliseconds after the send.
 */
export type ConsentState = 'opted-out' | 'opted-in';

export interface MessageEntry {
  provider: ProviderName;
  providerMessageId: string;
  invitationId: string;
  acceptedAt: string;
  /** W3C traceparent of the send, so the receipt's sms.status continues the invitation's trace. */
  traceparent?: string | undefined;
}

export interface ConsentChange {
  phoneNumber: string;
  state: ConsentState;
  changedAt: string;
  source: ProviderName;
  keyword?: string | undefined;
}

export interface SmsDirectory {
  recordMessage(entry: MessageEntry, signal?: AbortSignal): Promise<void>;
  findMessage(
    provider: ProviderName,
    providerMessageId: string,
    signal?: AbortSignal,
  ): Promise<{ invitationId: string; traceparent?: string } | undefined>;
  consentOf(phoneNumber: string, signal?: AbortSignal): Promise<ConsentState | undefined>;
  /**
   * `applied` also for a repeat of the change already stored (same changedAt), so a retry after a
   * failed publish publishes again; `stale` when a later change is stored.
   */
  recordConsent(change: ConsentChange, signal?: AbortSignal): Promise<'applied' | 'stale'>;
}

export interface SmsDirectoryOptions {
  table: string;
  /** How long a message id stays resolvable. Default 7 days (carriers report within 72 h). */
  messageRetentionMs?: number;
}

const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

export const directoryKeys = {
  message: (provider: ProviderName, providerMessageId: string) => ({
    pk: `MSG#${provider}#${providerMessageId}`,
  }),
  consent: (phoneNumber: string) => ({ pk: `OPTOUT#${phoneNumber}` }),
};

export function createSmsDirectory(
  deps: { ddb: Pick<DynamoDBDocumentClient, 'send'>; clock?: () => number },
  options: SmsDirectoryOptions,
): SmsDirectory {
  const { ddb } = deps;
  const clock = deps.clock ?? Date.now;
  const retentionMs = options.messageRetentionMs ?? SEVEN_DAYS_MS;
  const TableName = options.table;
  const opts = (signal: AbortSignal | undefined) => (signal === undefined ? {} : { abortSignal: signal });

  return {
    async recordMessage(entry, signal) {
      // Unconditional: the same id always maps to the same invitation, so a retry writes the same item.
      await ddb.send(
        new PutCommand({
          TableName,
          Item: {
            ...directoryKeys.message(entry.provider, entry.providerMessageId),
            type: 'message',
            invitationId: entry.invitationId,
            provider: entry.provider,
            acceptedAt: entry.acceptedAt,
            ...(entry.traceparent === undefined ? {} : { traceparent: entry.traceparent }),
            ttl: Math.ceil((clock() + retentionMs) / 1000),
          },
        }),
        opts(signal),
      );
    },

    async findMessage(provider, providerMessageId, signal) {
      const { Item } = await ddb.send(
        new GetCommand({
          TableName,
          Key: directoryKeys.message(provider, providerMessageId),
          ConsistentRead: true,
        }),
        opts(signal),
      );
      if (typeof Item?.invitationId !== 'string') return undefined;
      return typeof Item.traceparent === 'string'
        ? { invitationId: Item.invitationId, traceparent: Item.traceparent }
        : { invitationId: Item.invitationId };
    },

    async consentOf(phoneNumber, signal) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName, Key: directoryKeys.consent(phoneNumber), ConsistentRead: true }),
        opts(signal),
      );
      const state: unknown = Item?.state;
      return state === 'opted-out' || state === 'opted-in' ? state : undefined;
    },

    async recordConsent(change, signal) {
      // One format (UTC, milliseconds) so the string comparison in the condition is chronological.
      const at = new Date(change.changedAt).toISOString();
      try {
        await ddb.send(
          new UpdateCommand({
            TableName,
            Key: directoryKeys.consent(change.phoneNumber),
            UpdateExpression:
              'SET #type = :type, #state = :state, changedAt = :at, #source = :source, keyword = :keyword',
            // Inbound messages are not ordered (carriers, SNS standard topics): the latest wins.
            ConditionExpression: 'attribute_not_exists(pk) OR changedAt <= :at',
            ExpressionAttributeNames: { '#type': 'type', '#state': 'state', '#source': 'source' },
            ExpressionAttributeValues: {
              ':type': 'consent',
              ':state': change.state,
              ':at': at,
              ':source': change.source,
              ':keyword': change.keyword ?? null,
            },
          }),
          opts(signal),
        );
        return 'applied';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'stale';
        throw error;
      }
    },
  };
}
