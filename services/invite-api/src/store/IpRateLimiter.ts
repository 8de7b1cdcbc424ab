import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, fixedWindow, secondsUntil } from '../domain/windows.ts';
import { keys } from './keys.ts';

export type IpLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface IpRateLimiter {
  hit(clientKey: string): Promise<IpLimitDecision>;
}

export interface IpRateLimiterOptions {
  table: string;
  /** Requests one client address may make per window. */
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window request counter per client address in DynamoDB (no Redis): one conditional ADD per
 * request. A refused request does not increment, so the counter stops at the limit. Fixed windows
 * allow up to 2x the limit across a window boundary; for a coarse abuse guard that is acceptable and
 * it costs one write instead of a sliding log.
 */
export function createIpRateLimiter(
  { client, clock }: { client: DynamoDBDocumentClient; clock: () => number },
  options: IpRateLimiterOptions,
): IpRateLimiter {
  return {
    async hit(clientKey) {
      const now = clock();
      const window = fixedWindow(now, options.windowSeconds);
      try {
        await client.send(
          new UpdateCommand({
            TableName: options.table,
            Key: keys.ipWindow(clientKey, window.key),
            UpdateExpression: 'ADD #count :one SET #type = :type, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'request_count', '#type': 'type', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':one': 1,
              ':limit': options.limit,
              ':type': 'ip-window',
              ':ttl': epochSeconds(window.endsAt) + 3600,
            },
          }),
        );
        return { allowed: true };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          return { allowed: false, retryAfterSeconds: secondsUntil(window.endsAt, now) };
        }
        throw error;
      }
    },
  };
}
