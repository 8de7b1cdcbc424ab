import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { spawnBoundChild } from '@platform/testkit';

/** One worker process's life: its log lines (parsed pino JSON) and when it ended. */
export interface WorkerLife {
  slot: number;
  pid: number;
  startedAt: number;
  endedAt: number | undefined;
  killed: boolean;
  lines: Array<Record<string, unknown>>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  life: WorkerLife;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * N worker slots, each running `services/image-worker/src/main.ts`; `killRandom()` SIGKILLs one and
 * starts a fresh process in its slot. Every life's output is kept: the verdict reads processing
 * intervals from it, and a SIGKILLed worker's lines are complete because the worker logs synchronously.
 */
export class WorkerFleet {
  readonly lives: WorkerLife[] = [];
  readonly #running = new Map<number, Running>();
  readonly #env: Record<string, string>;
  readonly #random: () => number;
  kills = 0;

  constructor(options: { size: number; env: Record<string, string>; random: () => number }) {
    this.#env = options.env;
    this.#random = options.random;
    for (let slot = 0; slot < options.size; slot += 1) this.#start(slot);
  }

  #start(slot: number): void {
    const child = spawnBoundChild(process.execPath, ['services/image-worker/src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', ...this.#env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const life: WorkerLife = {
      slot,
      pid: child.pid ?? -1,
      startedAt: Date.now(),
      endedAt: undefined,
      killed: false,
      lines: [],
      exitCode: null,
      signal: null,
    };
    this.lives.push(life);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (text) => {
        if (!text.startsWith('{')) {
          life.lines.push({ msg: 'non-json output', text });
          return;
        }
        try {
          life.lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          life.lines.push({ msg: 'non-json output', text });
        }
      });
    }
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        life.endedAt ??= Date.now();
        life.exitCode = code;
        life.signal = signal;
        resolve();
      });
    });
    this.#running.set(slot, { life, child, exited });
  }

  /** SIGKILLs the worker in a random slot and starts a new one there. */
  async killRandom(): Promise<WorkerLife> {
    const slots = [...this.#running.keys()];
    const slot = slots[Math.floor(this.#random() * slots.length)] ?? 0;
    const running = this.#running.get(slot);
    if (running === undefined) throw new Error(`no worker in slot ${slot}`);
    running.life.killed = true;
    // The moment of death is when we send the signal: nothing the process does after it counts.
    running.life.endedAt = Date.now();
    running.child.kill('SIGKILL');
    await running.exited;
    this.kills += 1;
    this.#start(slot);
    return running.life;
  }

  /** SIGTERM to every worker (drain), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    const all = [...this.#running.values()];
    for (const r of all) r.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const r of all) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(all.map((r) => r.exited));
    clearTimeout(timer);
    this.#running.clear();
  }
}
