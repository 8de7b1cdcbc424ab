import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

// SQS limit: a DeleteMessageBatch carries at most 10 entries.
const SQS_MAX_BATCH_ENTRIES = 10;
// An entry SQS failed on its side (SenderFault false: an internal error) is sent again this many
// times in a later batch before its delete is reported as failed. A sender fault (e.g.
// ReceiptHandleIsInvalid) would fail the same way again, so it is reported at once.
const MAX_ENTRY_TRIES = 3;

export interface DeleteBatcherConfig {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /** How long the first queued delete waits for others before its batch is sent; 0 sends at once. */
  lingerMs: number;
  /** A fresh deadline for each DeleteMessageBatch call (so a flush on shutdown never hangs). */
  signal: () => AbortSignal;
}

/** One entry's failure inside an otherwise answered DeleteMessageBatch. */
export class BatchEntryError extends Error {
  override readonly name = 'BatchEntryError';
  readonly code: string;
  readonly senderFault: boolean;
  constructor(code: string, message: string, senderFault: boolean) {
    super(`DeleteMessageBatch entry failed: ${code}: ${message}`);
    this.code = code;
    this.senderFault = senderFault;
  }
}

interface Pending {
  receiptHandle: string;
  tries: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface DeleteBatcher {
  /**
   * Queues the delete; resolves once SQS confirmed THIS entry, rejects with its own failure (a
   * BatchEntryError, or the whole call's error). Never resolves for an entry SQS did not delete.
   */
  delete(receiptHandle: string): Promise<void>;
  /** Sends everything queued now (no linger) and resolves when every delete asked so far has settled. */
  flush(): Promise<void>;
  /** No linger from now on (shutdown: a draining consumer must not wait for neighbours). */
  stopLingering(): void;
}

/**
 * Collects acknowledgements into DeleteMessageBatch calls: one call per up to 10 deletes, sent when
 * 10 are queued or `lingerMs` after the first. A delete is no part of a job's outcome (the ledger
 * already says COMPLETED), so waiting a few ms for neighbours costs nothing but that wait; a crash
 * inside it only means a redelivery, which the ledger acknowledges without work.
 *
 * Per-entry results: DeleteMessageBatch answers 200 even when some entries failed (`Failed[]`), so
 * each entry is settled on its own: successes resolve, SQS-side failures are retried in a later batch
 * (up to MAX_ENTRY_TRIES), sender faults reject at once. Nothing is counted as deleted unless SQS
 * listed it in `Successful`.
 */
export function createDeleteBatcher(config: DeleteBatcherConfig): DeleteBatcher {
  let queued: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let lingerMs = config.lingerMs;
  const inFlight = new Set<Promise<void>>();

  function schedule(): void {
    if (queued.length >= SQS_MAX_BATCH_ENTRIES || lingerMs === 0) {
      sendQueued();
    } else if (timer === undefined && queued.length > 0) {
      timer = setTimeout(sendQueued, lingerMs);
    }
  }

  function sendQueued(): void {
    clearTimeout(timer);
    timer = undefined;
    while (queued.length > 0) {
      const batch = queued.slice(0, SQS_MAX_BATCH_ENTRIES);
      queued = queued.slice(SQS_MAX_BATCH_ENTRIES);
      const call = sendBatch(batch).finally(() => inFlight.delete(call));
      inFlight.add(call);
    }
  }

  async function sendBatch(batch: Pending[]): Promise<void> {
    let output;
    try {
      output = await config.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: config.queueUrl,
          Entries: batch.map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receiptHandle })),
        }),
        { abortSignal: config.signal() },
      );
    } catch (error) {
      // The whole call failed (after the SDK's own retries): none of these is known to be deleted.
      for (const entry of batch) entry.reject(error);
      return;
    }
    const succeeded = new Set((output.Successful ?? []).map((s) => s.Id));
    const failed = new Map((output.Failed ?? []).map((f) => [f.Id, f]));
    const retry: Pending[] = [];
    batch.forEach((entry, index) => {
      const id = String(index);
      if (succeeded.has(id)) return entry.resolve();
      const failure = failed.get(id);
      const senderFault = failure?.SenderFault ?? false;
      entry.tries += 1;
      if (!senderFault && entry.tries < MAX_ENTRY_TRIES) return void retry.push(entry);
      entry.reject(
        new BatchEntryError(
          failure?.Code ?? 'MissingEntryResult',
          failure?.Message ?? 'SQS listed this entry neither as successful nor as failed',
          senderFault,
        ),
      );
    });
    if (retry.length > 0) {
      queued.push(...retry);
      schedule();
    }
  }

  return {
    delete(receiptHandle) {
      return new Promise<void>((resolve, reject) => {
        queued.push({ receiptHandle, tries: 0, resolve, reject });
        schedule();
      });
    },
    stopLingering() {
      lingerMs = 0;
      sendQueued();
    },
    async flush() {
      // Retried entries re-enter the queue while a call settles: loop until nothing is left.
      while (queued.length > 0 || inFlight.size > 0) {
        sendQueued();
        await Promise.all([...inFlight]);
      }
    },
  };
}
