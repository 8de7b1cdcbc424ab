import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.ts';

/**
 * invite-api's copy of a number's SMS consent, in the suppression item the invitation transaction
 * checks (`keys.suppression`). sms-sender owns the list (it receives STOP/START) and publishes
 * `sms.optout`; this store only mirrors it, so the API can refuse an invitation before any SMS is
 * requested. `opt_state` is `opted-out` or `opted-in`; an item without it (written for a failed send
 * with OPTED_OUT) counts as opted out.
 */
export type ConsentState = 'opted-out' | 'opted-in';

/** The value the transaction's ConditionCheck lets through. */
export const OPTED_IN: ConsentState = 'opted-in';

export interface ConsentChange {
  phoneNumber: string;
  state: ConsentState;
  /** When the recipient's message was received: the order of changes for one number. */
  changedAt: string;
  source: string;
  keyword?: string | undefined;
  now: string;
}

export interface ConsentStore {
  /** `stale` when a later change is already recorded (events for one number arrive out of order). */
  record(change: ConsentChange): Promise<'applied' | 'stale'>;
}

export function createConsentStore(
  { client }: { client: DynamoDBDocumentClient },
  { table }: { table: string },
): ConsentStore {
  return {
    async record(change) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.suppression(change.phoneNumber),
            UpdateExpression:
              'SET #type = :type, opt_state = :state, consent_changed_at = :at, reason = :reason, consent_source = :source, updated_at = :now',
            // Last writer by changedAt wins, whatever order SQS delivers in. An item from the
            // OPTED_OUT failure path has no consent_changed_at: any explicit change supersedes it.
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(consent_changed_at) OR consent_changed_at < :at',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ':type': 'suppression',
              ':state': change.state,
              // One format (UTC, milliseconds): the string comparison above is then chronological.
              ':at': new Date(change.changedAt).toISOString(),
              ':reason': change.keyword ?? (change.state === 'opted-out' ? 'STOP' : 'START'),
              ':source': change.source,
              ':now': change.now,
            },
          }),
        );
        return 'applied';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'stale';
        throw error;
      }
    },
  };
}
