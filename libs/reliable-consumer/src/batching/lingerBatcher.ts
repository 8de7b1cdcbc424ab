/**
 * What a batch call made of one entry: settled with a result, or worth sending again (it failed for
 * a reason that was not its own: a neighbour's refusal, throttling, a server-side error), settling
 * with `result` once its tries are spent.
 */
export type EntryVerdict<R> = { settle: R } | { again: R };

/** One entry's failure inside an otherwise answered batch call (SQS's and SNS's `Failed[]`). */
export class BatchEntryError extends Error {
  override readonly name = 'BatchEntryError';
  readonly code: string;
  readonly senderFault: boolean;
  constructor(operation: string, code: string, message: string, senderFault: boolean) {
    super(`${operation} entry failed: ${code}: ${message}`);
    this.code = code;
    this.senderFault = senderFault;
  }
}

/** The per-entry part of an SQS or SNS batch answer (entry ids are the entries' indexes). */
export interface BatchAnswer<S extends { Id?: string | undefined }> {
  Successful?: S[] | undefined;
  Failed?:
    | Array<{
        Id?: string | undefined;
        Code?: string | undefined;
        Message?: string | undefined;
        SenderFault?: boolean | undefined;
      }>
    | undefined;
}

/**
 * Verdicts from an SQS/SNS batch answer, which is 200 even when some entries failed: an entry is
 * done only if listed in `Successful`; a sender fault (it would fail the same way again) settles as
 * failed; a failure on the service's side, or an entry listed nowhere, is worth another try.
 */
export function batchAnswerVerdicts<S extends { Id?: string | undefined }, R>(
  operation: string,
  count: number,
  answer: BatchAnswer<S>,
  results: { ok: (successful: S) => R; failed: (error: BatchEntryError) => R },
): Array<EntryVerdict<R>> {
  const succeeded = new Map((answer.Successful ?? []).map((s) => [s.Id, s]));
  const failed = new Map((answer.Failed ?? []).map((f) => [f.Id, f]));
  return Array.from({ length: count }, (_, index) => {
    const id = String(index);
    const success = succeeded.get(id);
    if (success !== undefined) return { settle: results.ok(success) };
    const failure = failed.get(id);
    const senderFault = failure?.SenderFault ?? false;
    const error = new BatchEntryError(
      operation,
      failure?.Code ?? 'MissingEntryResult',
      failure?.Message ?? 'the answer listed this entry neither as successful nor as failed',
      senderFault,
    );
    return senderFault ? { settle: results.failed(error) } : { again: results.failed(error) };
  });
}

export interface LingerBatcherOptions<T, R> {
  /** How long the first queued entry waits for others before its batch is sent; 0 sends at once. */
  lingerMs: number;
  /** The API's limit on entries per call (SQS 10, SNS 10, TransactWriteItems 100, ...). */
  maxEntries: number;
  /** With `sizeOf`: a bound on one call's total size (SNS PublishBatch: 256 KiB in all). */
  maxBytes?: number;
  sizeOf?: (entry: T) => number;
  /** Entries with one key never share a call (DynamoDB refuses one item twice in a transaction). */
  keyOf?: (entry: T) => string;
  /** Tries per entry in all, for entries answered `again`. */
  maxTries: number;
  /**
   * Sends one call, answering one verdict per entry in order. Must not reject: a whole-call failure
   * is a verdict per entry too. A call of one entry may use the single-entry API.
   */
  send(entries: readonly T[]): Promise<Array<EntryVerdict<R>>>;
}

export interface LingerBatcher<T, R> {
  /** Queues the entry; resolves with ITS result (never rejects). */
  add(entry: T): Promise<R>;
  /** Sends everything queued now (no linger) and resolves when every entry so far has settled. */
  flush(): Promise<void>;
  /** No linger from now on (shutdown: a draining consumer must not wait for neighbours). */
  stopLingering(): void;
}

interface Pending<T, R> {
  entry: T;
  tries: number;
  resolve: (result: R) => void;
}

/**
 * The mechanics every batched AWS call here shares (DeleteMessageBatch, TransactWriteItems of
 * annotations, PublishBatch, SendMessageBatch): entries wait at most `lingerMs` for neighbours, a
 * call is sent as soon as it is full, each entry is settled on its own from the call's per-entry
 * answer, and entries that failed through no fault of their own are sent again in a later call.
 * What a verdict means is the caller's (`send`); the when and how many are here.
 *
 * Hand-written rather than a general-purpose batching library (dataloader and the like) because the
 * parts that matter are AWS-specific: per-entry partial failures, size and key constraints per call,
 * and a flush that a shutdown can wait for.
 */
export function createLingerBatcher<T, R>(options: LingerBatcherOptions<T, R>): LingerBatcher<T, R> {
  let queued: Array<Pending<T, R>> = [];
  let timer: NodeJS.Timeout | undefined;
  let lingerMs = options.lingerMs;
  const inFlight = new Set<Promise<void>>();

  function schedule(): void {
    if (queued.length >= options.maxEntries || lingerMs === 0) {
      sendQueued();
    } else if (timer === undefined && queued.length > 0) {
      timer = setTimeout(sendQueued, lingerMs);
    }
  }

  /** Takes the next call's entries from the queue: in order, within the limits, distinct keys. */
  function nextBatch(): Array<Pending<T, R>> {
    const batch: Array<Pending<T, R>> = [];
    const rest: Array<Pending<T, R>> = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (const pending of queued) {
      const key = options.keyOf?.(pending.entry);
      const size = options.sizeOf?.(pending.entry) ?? 0;
      const fits =
        batch.length < options.maxEntries &&
        (key === undefined || !keys.has(key)) &&
        (batch.length === 0 || options.maxBytes === undefined || bytes + size <= options.maxBytes);
      if (!fits) {
        rest.push(pending);
        continue;
      }
      if (key !== undefined) keys.add(key);
      bytes += size;
      batch.push(pending);
    }
    queued = rest;
    return batch;
  }

  function sendQueued(): void {
    clearTimeout(timer);
    timer = undefined;
    while (queued.length > 0) {
      const batch = nextBatch();
      const call = sendBatch(batch).finally(() => inFlight.delete(call));
      inFlight.add(call);
    }
  }

  async function sendBatch(batch: Array<Pending<T, R>>): Promise<void> {
    const verdicts = await options.send(batch.map((pending) => pending.entry));
    const again: Array<Pending<T, R>> = [];
    batch.forEach((pending, index) => {
      const verdict = verdicts[index];
      if (verdict === undefined) throw new Error(`linger batcher: no verdict for entry ${index}`);
      if ('settle' in verdict) return pending.resolve(verdict.settle);
      pending.tries += 1;
      if (pending.tries < options.maxTries) return void again.push(pending);
      pending.resolve(verdict.again);
    });
    if (again.length > 0) {
      queued.push(...again);
      // At once, not after another linger: these have waited once already.
      sendQueued();
    }
  }

  return {
    add(entry) {
      return new Promise<R>((resolve) => {
        queued.push({ entry, tries: 0, resolve });
        schedule();
      });
    },
    stopLingering() {
      lingerMs = 0;
      sendQueued();
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
