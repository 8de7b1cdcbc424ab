import type { OutcomeEvent } from '../consumer/types.ts';

/** Which settled message a test waits for: its SQS id, or a subset of its domain ids (`{ jobId }`). */
export type OutcomeMatch = { messageId: string } | { bindings: Record<string, unknown> };

export interface OutcomeSpyOptions {
  /** Events kept (oldest dropped first). Default 1000. */
  capacity?: number;
  /** How long waitFor waits by default, ms. Default 20000. */
  timeoutMs?: number;
}

interface Waiter {
  match: OutcomeMatch;
  kind: OutcomeEvent['kind'] | undefined;
  resolve: (event: OutcomeEvent) => void;
}

function matches(event: OutcomeEvent, match: OutcomeMatch, kind: OutcomeEvent['kind'] | undefined): boolean {
  if (kind !== undefined && event.kind !== kind) return false;
  if ('messageId' in match) return event.messageId === match.messageId;
  return Object.entries(match.bindings).every(([name, value]) => event.bindings?.[name] === value);
}

/**
 * Records every settled message (the consumer's `onOutcome`) so a test can wait for "message X
 * settled as Y" instead of reading log text or sleeping (message-queue-toolkit's HandlerSpy is the
 * model). Test code only: import it from `@platform/reliable-consumer/testing`.
 */
export class OutcomeSpy {
  readonly #events: OutcomeEvent[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #capacity: number;
  readonly #timeoutMs: number;

  constructor(options: OutcomeSpyOptions = {}) {
    this.#capacity = options.capacity ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** Pass as `onOutcome` (bound: safe to hand over as a bare function). */
  readonly record = (event: OutcomeEvent): void => {
    this.#events.push(event);
    if (this.#events.length > this.#capacity) this.#events.shift();
    for (const waiter of this.#waiters) {
      if (matches(event, waiter.match, waiter.kind)) {
        this.#waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  };

  /** Events so far, oldest first; optionally only those matching. */
  events(match?: OutcomeMatch, kind?: OutcomeEvent['kind']): OutcomeEvent[] {
    return this.#events.filter((event) =>
      match === undefined ? kind === undefined || event.kind === kind : matches(event, match, kind),
    );
  }

  /**
   * Resolves with the first event (already recorded, or still to come) for the message settled as
   * `kind` (any kind when omitted); rejects naming what it waited for after the timeout.
   */
  waitFor(
    match: OutcomeMatch,
    kind?: OutcomeEvent['kind'],
    timeoutMs = this.#timeoutMs,
  ): Promise<OutcomeEvent> {
    const seen = this.#events.find((event) => matches(event, match, kind));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const kinds = this.events(match).map((event) => event.kind);
        reject(
          new Error(
            `No outcome ${kind ?? '(any)'} for ${JSON.stringify(match)} within ${timeoutMs} ms; seen for it: [${kinds.join(', ')}]`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        kind,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}
