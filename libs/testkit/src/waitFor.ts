import { inspect } from 'node:util';

export interface WaitForOptions {
  /** What is awaited, in words: it is the failure message. */
  description: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 50 ms: emulators answer in about a millisecond, so polling is cheap. */
  intervalMs?: number;
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly description: string;
  readonly lastValue: unknown;
  readonly attempts: number;

  constructor(
    description: string,
    timeoutMs: number,
    attempts: number,
    last: { value?: unknown; error?: unknown },
  ) {
    const observed =
      last.error !== undefined
        ? `last attempt threw ${describeError(last.error)}`
        : `last observed value: ${inspect(last.value, { depth: 4, breakLength: 120 })}`;
    super(`Timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${description}; ${observed}`, {
      cause: last.error,
    });
    this.description = description;
    this.lastValue = last.value;
    this.attempts = attempts;
  }
}

/**
 * Polls `probe` until it returns a truthy value (returned) or stops throwing, with a deadline. This is
 * how tests wait for asynchronous effects (a message consumed, an item in a state): never sleep.
 * A probe that throws counts as "not yet"; the last error or value is reported at the deadline.
 *
 * The default deadline is generous (30 s): it only bounds how long a broken test takes to fail, while a
 * passing test returns as soon as the state is observed. Two cores shared with emulators and worker
 * processes can stretch a one-second effect to ten.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { description, timeoutMs = 30_000, intervalMs = 50 }: WaitForOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last: { value?: unknown; error?: unknown } = {};
  for (;;) {
    attempts++;
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false && value !== 0 && value !== '') {
        return value;
      }
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(description, timeoutMs, attempts, last);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return inspect(error);
}
