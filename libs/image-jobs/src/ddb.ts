import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { KEY_ATTRIBUTE } from './constants.ts';
import type { CallOptions, ImageJobsDeps } from './types.ts';

/**
 * The item as it was when a conditional write was refused (ReturnValuesOnConditionCheckFailure:
 * ALL_OLD), so the caller classifies the refusal without a second, racy read. Anything else rethrows.
 */
export function refusedItem(error: unknown): { item: Record<string, unknown> | undefined } {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  // lib-dynamodb does not translate the error's Item: it is still in AttributeValue form.
  return { item: error.Item === undefined ? undefined : unmarshall(error.Item) };
}

export async function getItem(
  deps: ImageJobsDeps,
  tableName: string,
  jobId: string,
  call: CallOptions = {},
): Promise<Record<string, unknown> | undefined> {
  const output = await deps.ddb.send(
    new GetCommand({ TableName: tableName, Key: { [KEY_ATTRIBUTE]: jobId }, ConsistentRead: true }),
    { abortSignal: call.signal },
  );
  return output.Item;
}
