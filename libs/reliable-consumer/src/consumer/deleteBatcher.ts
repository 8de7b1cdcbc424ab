import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { batchAnswerVerdicts, createLingerBatcher } from '../batching/lingerBatcher.ts';

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

export { BatchEntryError } from '../batching/lingerBatcher.ts';

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

type DeleteResult = { ok: true } | { ok: false; error: unknown };

/**
 * Collects acknowledgements into DeleteMessageBatch calls: one call per up to 10 deletes, sent when
 * 10 are queued or `lingerMs` after the first (the shared linger batcher). A delete is no part of a
 * job's outcome (the ledger already says COMPLETED), so waiting a few ms for neighbours costs
 * nothing but that wait; a crash inside it only means a redelivery, which the ledger acknowledges
 * without work.
 *
 * Per-entry results: DeleteMessageBatch answers 200 even when some entries failed (`Failed[]`), so
 * each entry is settled on its own: successes resolve, SQS-side failures are retried in a later batch
 * (up to MAX_ENTRY_TRIES), sender faults reject at once. Nothing is counted as deleted unless SQS
 * listed it in `Successful`.
 */
export function createDeleteBatcher(config: DeleteBatcherConfig): DeleteBatcher {
  const batcher = createLingerBatcher<string, DeleteResult>({
    lingerMs: config.lingerMs,
    maxEntries: SQS_MAX_BATCH_ENTRIES,
    maxTries: MAX_ENTRY_TRIES,
    async send(receiptHandles) {
      let output;
      try {
        output = await config.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: config.queueUrl,
            Entries: receiptHandles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })),
          }),
          { abortSignal: config.signal() },
        );
      } catch (error) {
        // The whole call failed (after the SDK's own retries): none of these is known to be deleted.
        return receiptHandles.map(() => ({ settle: { ok: false, error } }));
      }
      return batchAnswerVerdicts('DeleteMessageBatch', receiptHandles.length, output, {
        ok: (): DeleteResult => ({ ok: true }),
        failed: (error) => ({ ok: false, error }),
      });
    },
  });

  return {
    async delete(receiptHandle) {
      const result = await batcher.add(receiptHandle);
      if (!result.ok) throw result.error;
    },
    stopLingering: () => batcher.stopLingering(),
    flush: () => batcher.flush(),
  };
}
