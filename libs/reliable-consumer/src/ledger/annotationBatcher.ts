import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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

interface Pending {
  itemKey: string;
  update: AnnotationUpdate;
  tries: number;
  resolve: (outcome: AnnotationOutcome) => void;
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
  let queued: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  function schedule(): void {
    if (queued.length >= MAX_BATCH_ENTRIES || config.lingerMs === 0) {
      sendQueued();
    } else if (timer === undefined && queued.length > 0) {
      timer = setTimeout(sendQueued, config.lingerMs);
    }
  }

  /** Splits the queue into batches of distinct records and sends them all. */
  function sendQueued(): void {
    clearTimeout(timer);
    timer = undefined;
    while (queued.length > 0) {
      const keys = new Set<string>();
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      for (const entry of queued) {
        if (batch.length < MAX_BATCH_ENTRIES && !keys.has(entry.itemKey)) {
          keys.add(entry.itemKey);
          batch.push(entry);
        } else {
          rest.push(entry);
        }
      }
      queued = rest;
      const call = (batch.length === 1 ? sendOne(batch[0] as Pending) : sendBatch(batch)).finally(() =>
        inFlight.delete(call),
      );
      inFlight.add(call);
    }
  }

  async function sendOne(entry: Pending): Promise<void> {
    try {
      await config.ddb.send(new UpdateCommand({ TableName: config.tableName, ...entry.update }), {
        abortSignal: config.signal(),
      });
      entry.resolve({ kind: 'applied' });
    } catch (error) {
      entry.resolve(
        error instanceof ConditionalCheckFailedException
          ? { kind: 'not-in-status' }
          : { kind: 'failed', error },
      );
    }
  }

  async function sendBatch(batch: Pending[]): Promise<void> {
    try {
      await config.ddb.send(
        new TransactWriteCommand({
          TransactItems: batch.map((entry) => ({ Update: { TableName: config.tableName, ...entry.update } })),
        }),
        { abortSignal: config.signal() },
      );
      for (const entry of batch) entry.resolve({ kind: 'applied' });
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) {
        // The whole call failed after the SDK's own retries: none of these is known to be applied.
        for (const entry of batch) entry.resolve({ kind: 'failed', error });
        return;
      }
      // Reasons are listed in the order of the items sent.
      const reasons = error.CancellationReasons ?? [];
      const again: Pending[] = [];
      batch.forEach((entry, index) => {
        const code = reasons[index]?.Code;
        if (code === 'ConditionalCheckFailed') return entry.resolve({ kind: 'not-in-status' });
        // `None` (cancelled because of another entry), TransactionConflict, throttling: not this
        // entry's fault, worth another try.
        entry.tries += 1;
        if (entry.tries < MAX_TRIES) return void again.push(entry);
        entry.resolve({ kind: 'failed', error });
      });
      if (again.length > 0) {
        queued.push(...again);
        // At once, not after another linger: these have waited once already.
        sendQueued();
      }
    }
  }

  return {
    enqueue(itemKey, update) {
      return new Promise<AnnotationOutcome>((resolve) => {
        queued.push({ itemKey, update, tries: 0, resolve });
        schedule();
      });
    },
    async flush() {
      // Entries sent again re-enter the queue while a call settles: loop until nothing is left.
      while (queued.length > 0 || inFlight.size > 0) {
        sendQueued();
        await Promise.all([...inFlight]);
      }
    },
  };
}
