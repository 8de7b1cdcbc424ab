/**
 * Bounded in-flight handler count. The poller asks for at most the free slots plus the prefetch room
 * and waits for room before polling (messages beyond the slots wait in HeldMessages, extended).
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
    this.notify();
  }

  /** Wakes the waiters to re-check their condition (something else it reads changed). */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when at least `count` slots are free, or rejects when `signal` aborts. */
  async waitFor(count: number, signal: AbortSignal): Promise<void> {
    await this.waitUntil(() => this.free() >= count, signal);
  }

  /**
   * Resolves once `ready()` holds, re-checked on every give() and notify(), or rejects when `signal`
   * aborts. The waker runs before the waiter resumes (a microtask later), so state changed right
   * after give() in the same tick (a held message taking the slot) is what the check sees.
   */
  async waitUntil(ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready()) {
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
