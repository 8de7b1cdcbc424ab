/**
 * Bounded in-flight handler count. The poller asks for at most `free()` messages and waits for a
 * free slot before polling: a received message waiting for a slot would burn its visibility timeout.
 */
export class Slots {
  readonly #capacity: number;
  #used = 0;
  #waiters: Array<() => void> = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get used(): number {
    return this.#used;
  }

  free(): number {
    return this.#capacity - this.#used;
  }

  take(): void {
    if (this.#used >= this.#capacity)
      throw new Error('No free slot: the poller received more than it can run');
    this.#used += 1;
  }

  give(): void {
    this.#used -= 1;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when at least `count` slots are free, or rejects when `signal` aborts. */
  async waitFor(count: number, signal: AbortSignal): Promise<void> {
    while (this.free() < count) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** Resolves when nothing is in flight. */
  async drained(): Promise<void> {
    while (this.#used > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
