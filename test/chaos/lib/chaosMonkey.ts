import { setTimeout as delay } from 'node:timers/promises';
import type { ProcessFleet, ProcessLife } from './processFleet.ts';

export type ChaosAction = 'kill' | 'term' | 'term-at-startup' | 'stall';

export interface ChaosMonkeyOptions {
  fleet: ProcessFleet;
  random: () => number;
  /** Pause between two actions, ms (uniform). */
  everyMs: [number, number];
  /** Relative weights of the actions; 0 leaves one out. */
  weights: Record<ChaosAction, number>;
  /** SIGSTOP length, ms (uniform): longer than the lease, so another process may take over. */
  stallMs: [number, number];
  /** A fresh process gets its SIGTERM this long after spawning, ms (uniform): inside its start-up. */
  startupTermMs: [number, number];
  /** SIGTERM grace before the monkey SIGKILLs a process that did not exit. */
  graceMs: number;
  /**
   * The same for a SIGTERM during start-up (default 30 s, the shortest terminationGracePeriodSeconds
   * of our pods): JavaScript runs a signal handler only when the event loop turns, and loading the
   * module graph is one long synchronous stretch that takes seconds on a loaded machine.
   */
  startupGraceMs?: number;
  /** Stall preferably a process in this state (e.g. holding a job), else any. */
  preferForStall?: (life: ProcessLife) => boolean;
  log: (line: string) => void;
}

/**
 * Signals processes of a fleet at random moments: SIGKILL (restart), SIGTERM (wait for the exit,
 * restart), SIGTERM of a fresh process during its start-up, and SIGSTOP past a lease then SIGCONT.
 * Several actions run at once on different slots; a slot is never signalled while an action on it runs.
 */
export class ChaosMonkey {
  readonly #o: ChaosMonkeyOptions;
  readonly #busy = new Set<number>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly counts: Record<ChaosAction, number> = { kill: 0, term: 0, 'term-at-startup': 0, stall: 0 };
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(options: ChaosMonkeyOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** No new actions; waits for the running ones (a stall ends with its SIGCONT). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await Promise.all(this.#inFlight);
  }

  async #run(): Promise<void> {
    const { everyMs, random } = this.#o;
    while (this.#running) {
      await delay(everyMs[0] + random() * (everyMs[1] - everyMs[0]));
      if (!this.#running) break;
      const action = this.#pickAction();
      const slot = this.#pickSlot(action);
      if (slot !== undefined) this.#launch(action, slot);
    }
  }

  /**
   * An action at a chosen moment (e.g. a pause right after the process's lease was granted, seen by a
   * proxy): the moments that matter are rare at random times. Ignored while the slot is being acted on.
   */
  actNow(action: ChaosAction, slot: number, why: string): boolean {
    if (!this.#running || this.#busy.has(slot) || this.#o.fleet.current(slot) === undefined) return false;
    this.#launch(action, slot, why);
    return true;
  }

  #launch(action: ChaosAction, slot: number, why?: string): void {
    this.#busy.add(slot);
    const work = this.#act(action, slot, why)
      .catch((error: unknown) =>
        this.#o.log(`chaos action ${action} on slot ${slot} failed: ${String(error)}`),
      )
      .finally(() => {
        this.#busy.delete(slot);
        this.#inFlight.delete(work);
      });
    this.#inFlight.add(work);
  }

  #pickAction(): ChaosAction {
    const entries = Object.entries(this.#o.weights) as Array<[ChaosAction, number]>;
    const total = entries.reduce((n, [, w]) => n + w, 0);
    let roll = this.#o.random() * total;
    for (const [action, weight] of entries) {
      roll -= weight;
      if (roll < 0) return action;
    }
    return entries[0]?.[0] ?? 'kill';
  }

  #pickSlot(action: ChaosAction): number | undefined {
    const idle = this.#o.fleet.slots.filter((slot) => !this.#busy.has(slot));
    const preferred =
      action === 'stall' && this.#o.preferForStall !== undefined
        ? idle.filter((slot) => {
            const life = this.#o.fleet.current(slot);
            return life !== undefined && this.#o.preferForStall?.(life) === true;
          })
        : [];
    const from = preferred.length > 0 ? preferred : idle;
    return from[Math.floor(this.#o.random() * from.length)];
  }

  async #act(action: ChaosAction, slot: number, why?: string): Promise<void> {
    const { fleet, random, graceMs } = this.#o;
    const log = (line: string) => this.#o.log(`${fleet.name}: ${line}`);
    const between = ([min, max]: [number, number]) => Math.round(min + random() * (max - min));
    this.counts[action] += 1;
    const pid = fleet.current(slot)?.pid;
    switch (action) {
      case 'kill':
        await fleet.kill(slot);
        log(`SIGKILL pid ${pid} (slot ${slot})${why === undefined ? '' : ` ${why}`}; restarted`);
        return;
      case 'term': {
        // A running process's SIGTERM. A slot restarted a moment ago may still be inside Node's own
        // start-up, before any JavaScript could install a handler (where no program can exit 0):
        // start-up SIGTERMs are `term-at-startup`'s, which waits for the preload's handlers first.
        await fleet.waitReady(slot, Math.max(graceMs, this.#o.startupGraceMs ?? 30_000));
        const life = await fleet.terminate(slot, graceMs);
        log(`SIGTERM pid ${pid} (slot ${slot}): ${exitText(life)}; restarted`);
        return;
      }
      case 'term-at-startup': {
        // Restart first (a SIGKILL), then SIGTERM the fresh process while it is starting. Its start-up
        // phases are logged at debug level: the first, "signal handlers installed", is the preload's
        // first line. Before it, Node's own SIGTERM handler (set before any JavaScript runs, so SigCgt
        // in /proc says nothing) restores the terminal and dies by the signal: no program can handle a
        // signal then, and a process killed that early has opened nothing.
        await fleet.kill(slot, { LOG_LEVEL: 'debug' });
        const fresh = fleet.current(slot);
        if (fresh !== undefined) await waitForLine(fresh, HANDLERS_INSTALLED);
        await delay(between(this.#o.startupTermMs));
        const ready = fresh?.readyAt !== undefined;
        const life = await fleet.terminate(slot, Math.max(graceMs, this.#o.startupGraceMs ?? 30_000));
        log(
          `SIGTERM pid ${life.pid} (slot ${slot}) ${ready ? 'just after' : 'during'} start-up: ${exitText(life)}; restarted`,
        );
        return;
      }
      case 'stall': {
        const ms = between(this.#o.stallMs);
        log(`SIGSTOP pid ${pid} (slot ${slot}) for ${ms} ms${why === undefined ? '' : ` ${why}`}`);
        await fleet.stall(slot, ms);
        log(`SIGCONT pid ${pid} (slot ${slot})`);
        return;
      }
    }
  }
}

const HANDLERS_INSTALLED = 'signal handlers installed';

/** Polls the life's lines until one has `msg`, the process is gone, or 10 s pass. */
async function waitForLine(life: ProcessLife, msg: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (life.lines.some((line) => line.msg === msg)) return;
    if (life.exitCode !== null || life.signal !== null) return;
    await delay(2);
  }
}

function exitText(life: ProcessLife): string {
  return life.signal !== null ? `died of ${life.signal}` : `exit ${life.exitCode}`;
}
