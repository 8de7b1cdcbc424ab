import { ChangeMessageVisibilityBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { ConsumerLogger } from './types.ts';

// SQS limit: a ChangeMessageVisibilityBatch carries at most 10 entries.
const SQS_MAX_BATCH_ENTRIES = 10;

export interface HeldMessage {
  message: Message;
  /** Epoch ms when the ReceiveMessage that delivered it was sent (the 12 h ceiling counts from there). */
  receivedAt: number;
  /** Epoch ms of the last time its visibility was set to the full timeout (the receive, or an extension). */
  extendedAt: number;
}

export interface HeldMessagesConfig {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  clock: () => number;
  /** The heartbeat cadence: a held message is extended this long after its last extension. */
  intervalSeconds: number;
  visibilityTimeoutSeconds: number;
  maxVisibilitySeconds: number;
  /** A fresh deadline per SQS call. */
  signal: () => AbortSignal;
  log: ConsumerLogger;
  /**
   * A held message this buffer gave up: its extension failed or its visibility lapsed while held (it
   * may be another consumer's now, so it must not run here), or it reached the visibility ceiling
   * unrun and was released. Called once per message.
   */
  onDropped: (held: HeldMessage, reason: string, error: unknown) => void;
}

export interface ReleaseResult {
  held: HeldMessage;
  /** The ChangeMessageVisibility entry (or call) failed; SQS offers the message again when its visibility lapses. */
  error?: unknown;
}

/**
 * Messages received beyond the free handler slots (the prefetch), waiting in arrival order for a
 * slot. While they wait their visibility is extended on the heartbeat cadence, in batches (one
 * ChangeMessageVisibilityBatch per up to 10 due messages), so a message never reappears while this
 * process still means to run it; `releaseAll` hands every one back at once (visibility 0) on stop.
 */
export class HeldMessages {
  readonly #config: HeldMessagesConfig;
  #held: HeldMessage[] = [];
  #timer: NodeJS.Timeout | undefined;
  #extending: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(config: HeldMessagesConfig) {
    this.#config = config;
  }

  get size(): number {
    return this.#held.length;
  }

  add(message: Message, receivedAt: number): void {
    this.#held.push({ message, receivedAt, extendedAt: receivedAt });
    this.#schedule();
  }

  /** The oldest held message, now the caller's to run (its heartbeat takes over from `extendedAt`). */
  take(): HeldMessage | undefined {
    let next = this.#held.shift();
    const lapsedBefore = this.#config.clock() - this.#config.visibilityTimeoutSeconds * 1000;
    while (next !== undefined && next.extendedAt <= lapsedBefore) {
      // Its visibility ran out while held (this process was paused past it): SQS may have given it
      // to another consumer already, so it is not ours to run. Dropped; it comes back by itself.
      this.#config.onDropped(next, 'HOLD_VISIBILITY_LAPSED', undefined);
      next = this.#held.shift();
    }
    if (this.#held.length === 0) this.#cancel();
    return next;
  }

  /**
   * Stops holding: every held message gets visibility 0 (another consumer can take it at once).
   * Waits for an extension in flight first, so it cannot land after the release and hide the message.
   */
  async releaseAll(): Promise<ReleaseResult[]> {
    this.#closed = true;
    this.#cancel();
    await this.#extending;
    const all = this.#held;
    this.#held = [];
    const results: ReleaseResult[] = [];
    for (let i = 0; i < all.length; i += SQS_MAX_BATCH_ENTRIES) {
      const chunk = all.slice(i, i + SQS_MAX_BATCH_ENTRIES);
      const failures = await this.#changeVisibility(chunk.map((held) => ({ held, seconds: 0 })));
      for (const held of chunk) results.push({ held, error: failures.get(held) });
    }
    return results;
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#held.length === 0) return;
    const intervalMs = this.#config.intervalSeconds * 1000;
    const oldest = Math.min(...this.#held.map((h) => h.extendedAt));
    const delayMs = Math.max(0, oldest + intervalMs - this.#config.clock());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Chained: a timer set by add() while an extension is in flight never runs beside it.
      this.#extending = this.#extending.then(() => this.#extendDue()).finally(() => this.#schedule());
    }, delayMs);
  }

  async #extendDue(): Promise<void> {
    const { clock, intervalSeconds, visibilityTimeoutSeconds, maxVisibilitySeconds } = this.#config;
    const now = clock();
    // Extend what is due within half an interval too: one call now instead of another one soon.
    const due = this.#held.filter((h) => now - h.extendedAt >= (intervalSeconds * 1000) / 2);
    const changes: Array<{ held: HeldMessage; seconds: number }> = [];
    const atCeiling: HeldMessage[] = [];
    for (const held of due) {
      const left = Math.floor(maxVisibilitySeconds - (now - held.receivedAt) / 1000);
      if (left <= intervalSeconds) {
        // Held unrun up to the 12 h ceiling (a stuck slot): give it back rather than let it lapse.
        atCeiling.push(held);
        changes.push({ held, seconds: 0 });
      } else {
        changes.push({ held, seconds: Math.min(visibilityTimeoutSeconds, left) });
      }
    }
    for (let i = 0; i < changes.length; i += SQS_MAX_BATCH_ENTRIES) {
      const chunk = changes.slice(i, i + SQS_MAX_BATCH_ENTRIES);
      const failures = await this.#changeVisibility(chunk);
      for (const { held } of chunk) {
        const error = failures.get(held);
        const ceiling = atCeiling.includes(held);
        if (error === undefined && !ceiling) {
          held.extendedAt = now;
          continue;
        }
        // Drop it only if it is still held: one taken meanwhile is kept alive by its own heartbeat.
        const index = this.#held.indexOf(held);
        if (index < 0) continue;
        this.#held.splice(index, 1);
        this.#config.onDropped(held, ceiling ? 'HELD_AT_VISIBILITY_CEILING' : 'HOLD_EXTENSION_FAILED', error);
      }
    }
    if (due.length > 0) this.#config.log.debug({ extended: due.length }, 'held messages extended');
  }

  /** One ChangeMessageVisibilityBatch; returns the failure of each entry that failed. */
  async #changeVisibility(
    entries: Array<{ held: HeldMessage; seconds: number }>,
  ): Promise<Map<HeldMessage, unknown>> {
    const failures = new Map<HeldMessage, unknown>();
    if (entries.length === 0) return failures;
    try {
      const output = await this.#config.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#config.queueUrl,
          Entries: entries.map(({ held, seconds }, index) => ({
            Id: String(index),
            ReceiptHandle: held.message.ReceiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
        { abortSignal: this.#config.signal() },
      );
      const succeeded = new Set((output.Successful ?? []).map((s) => s.Id));
      const failed = new Map((output.Failed ?? []).map((f) => [f.Id, f]));
      entries.forEach(({ held }, index) => {
        if (succeeded.has(String(index))) return;
        const f = failed.get(String(index));
        failures.set(
          held,
          new Error(
            `ChangeMessageVisibilityBatch entry failed: ${f?.Code ?? 'MissingEntryResult'}: ${f?.Message ?? 'no result for this entry'}`,
          ),
        );
      });
    } catch (error) {
      for (const { held } of entries) failures.set(held, error);
    }
    return failures;
  }
}
