import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLingerBatcher, type EntryVerdict } from '../batching/lingerBatcher.ts';

// DynamoDB accepts up to 100 actions per TransactWriteItems. 25 keeps a transaction that one
// refused entry cancels cheap to send again, and is more than a linger gathers at a few hundred jobs/s.
const MAX_BATCH_ENTRIES = 25;
// An entry whose transaction was cancelled for someone else's sake (another entry's condition, a
// conflict, a throttle) is sent again up to this many times in all before it is reported as failed.
const MAX_TRIES = 3;

/** What became of one deferred annotation. Never a rejection: the caller only logs a failure. */
export type AnnotationOutcome =
  | { kind: 'applied' }
  /** The record was not (or no longer) in the status asked for: nothing changed. */
  | { kind: 'not-in-status' }
  | { kind: 'failed'; error: unknown };

/** One conditional update, built by the ledger (key, expression, condition, names and values). */
export interface AnnotationUpdate {
  Key: Record<string, unknown>;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

export interface AnnotationBatcherConfig {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  tableName: string;
  /** How long the first queued annotation waits for others before its batch is sent; 0 sends at once. */
  lingerMs: number;
  /** A fresh deadline for each call (so a flush on shutdown never hangs). */
  signal: () => AbortSignal;
}

export interface AnnotationBatcher {
  enqueue(itemKey: string, update: AnnotationUpdate): Promise<AnnotationOutcome>;
  /** Sends everything queued now (no linger) and resolves when every annotation so far has settled. */
  flush(): Promise<void>;
}

interface Queued {
  itemKey: string;
  update: AnnotationUpdate;
}

/**
 * Gathers annotations of different records (changes nobody waits for, such as clearing a marker
 * once its event is out) into one TransactWriteItems: one call for up to 25 records, sent when 25
 * are queued or `lingerMs` after the first. A transaction costs twice the write units of the same
 * updates sent one by one, and buys one request instead of N (each request is SigV4 signing, a
 * connection's round trip and the SDK's middleware: on the worker's main thread a call costs more
 * CPU than the write units cost money). A batch of one goes out as a plain UpdateItem at 1x.
 *
 * Why not BatchWriteItem: it only puts and deletes whole items, and these are updates with a
 * condition. Each entry keeps its own condition; a transaction is all-or-nothing, so when one
 * entry's condition fails DynamoDB cancels the rest with reason `None`: the refused entry settles
 * as `not-in-status`, the others are sent again. Two annotations of one record never share a
 * transaction (DynamoDB refuses that): the later one waits for the next batch.
 */
export function createAnnotationBatcher(config: AnnotationBatcherConfig): AnnotationBatcher {
  const batcher = createLingerBatcher<Queued, AnnotationOutcome>({
    lingerMs: config.lingerMs,
    maxEntries: MAX_BATCH_ENTRIES,
    maxTries: MAX_TRIES,
    keyOf: (queued) => queued.itemKey,
    send: (entries) => (entries.length === 1 ? sendOne(entries[0] as Queued) : sendBatch(entries)),
  });

  async function sendOne(queued: Queued): Promise<Array<EntryVerdict<AnnotationOutcome>>> {
    try {
      await config.ddb.send(new UpdateCommand({ TableName: config.tableName, ...queued.update }), {
        abortSignal: config.signal(),
      });
      return [{ settle: { kind: 'applied' } }];
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return [{ settle: { kind: 'not-in-status' } }];
      return [{ settle: { kind: 'failed', error } }];
    }
  }

  async function sendBatch(entries: readonly Queued[]): Promise<Array<EntryVerdict<AnnotationOutcome>>> {
    try {
      await config.ddb.send(
        new TransactWriteCommand({
          TransactItems: entries.map((queued) => ({
            Update: { TableName: config.tableName, ...queued.update },
          })),
        }),
        { abortSignal: config.signal() },
      );
      return entries.map(() => ({ settle: { kind: 'applied' } }));
    } catch (error) {
      // The whole call failed after the SDK's own retries: none of these is known to be applied.
      if (!(error instanceof TransactionCanceledException))
        return entries.map(() => ({ settle: { kind: 'failed', error } }));
      // Reasons are listed in the order of the items sent.
      const reasons = error.CancellationReasons ?? [];
      return entries.map((_, index) =>
        reasons[index]?.Code === 'ConditionalCheckFailed'
          ? { settle: { kind: 'not-in-status' } }
          : // `None` (cancelled because of another entry), TransactionConflict, throttling: not
            // this entry's fault, worth another try.
            { again: { kind: 'failed', error } },
      );
    }
  }

  return {
    enqueue: (itemKey, update) => batcher.add({ itemKey, update }),
    flush: () => batcher.flush(),
  };
}
