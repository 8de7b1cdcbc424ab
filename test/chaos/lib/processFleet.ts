import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnBoundChild } from '@platform/testkit';

/** What the chaos run did to one process, in order. */
export type SignalEvent = { signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'; at: number };

/** One process's life: its log lines (parsed pino JSON), the signals it got and how it ended. */
export interface ProcessLife {
  /** Unique per life: `<name>-<slot>-<n>`; also the label of its fault-proxy endpoints. */
  label: string;
  slot: number;
  pid: number;
  startedAt: number;
  /** When its start-up log line (`readyMessage`) was seen, if ever. */
  readyAt: number | undefined;
  /** When it stopped counting: the SIGKILL's moment, or its exit. */
  endedAt: number | undefined;
  killed: boolean;
  /** Exited on its own, without a signal from the run: restarted like a kubelet would, and reported. */
  crashed: boolean;
  signals: SignalEvent[];
  lines: Array<Record<string, unknown>>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Extra environment this life got (e.g. its own proxy endpoints). */
  env: Record<string, string>;
}

export interface ProcessFleetOptions {
  name: string;
  /** Script run with this Node (`services/x/src/main.ts`). */
  script: string;
  /**
   * Test plugins to `--import` after the production preload, so the signal handlers it installs
   * first still guard all of start-up (e.g. the image worker's fault-injection template).
   */
  imports?: string[];
  size: number;
  env: Record<string, string>;
  /** The line a process logs once it is serving (`msg`); a SIGTERM before it is a start-up SIGTERM. */
  readyMessage: string;
  /** Per-life environment, e.g. fault-proxy endpoints labelled with the life's label. */
  envFor?: (label: string, slot: number) => Promise<Record<string, string>>;
}

interface Running {
  life: ProcessLife;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * N slots, each running one process of a service; chaos actions signal the process in a slot and start
 * a fresh one there. Every life's output is kept: a SIGKILLed process's lines are complete because the
 * services log synchronously.
 */
export class ProcessFleet {
  readonly lives: ProcessLife[] = [];
  readonly #running = new Map<number, Running>();
  readonly #options: ProcessFleetOptions;
  readonly #generation = new Map<number, number>();
  #stopping = false;

  constructor(options: ProcessFleetOptions) {
    this.#options = options;
  }

  get name(): string {
    return this.#options.name;
  }

  get slots(): number[] {
    return [...this.#running.keys()];
  }

  current(slot: number): ProcessLife | undefined {
    return this.#running.get(slot)?.life;
  }

  async startAll(): Promise<void> {
    for (let slot = 0; slot < this.#options.size; slot += 1) await this.start(slot);
  }

  /** `env` adds to this life's environment only (e.g. LOG_LEVEL=debug to see its start-up phases). */
  async start(slot: number, env: Record<string, string> = {}): Promise<ProcessLife> {
    const n = this.#generation.get(slot) ?? 0;
    this.#generation.set(slot, n + 1);
    const label = `${this.#options.name}-${slot}-${n}`;
    const extra = { ...((await this.#options.envFor?.(label, slot)) ?? {}), ...env };
    // The preload production uses (Dockerfile ENTRYPOINT): signal handlers first, then telemetry, so a
    // SIGTERM at any moment of start-up is judged against what ships.
    const child = spawnBoundChild(
      process.execPath,
      [
        '--import',
        '@platform/service-runtime/register',
        ...(this.#options.imports ?? []).flatMap((module) => ['--import', module]),
        this.#options.script,
      ],
      {
        env: { PATH: process.env.PATH ?? '', ...this.#options.env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const life: ProcessLife = {
      label,
      slot,
      pid: child.pid ?? -1,
      startedAt: Date.now(),
      readyAt: undefined,
      endedAt: undefined,
      killed: false,
      crashed: false,
      signals: [],
      lines: [],
      exitCode: null,
      signal: null,
      env: extra,
    };
    this.lives.push(life);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (text) => {
        let line: Record<string, unknown>;
        try {
          line = text.startsWith('{')
            ? (JSON.parse(text) as Record<string, unknown>)
            : { msg: 'non-json output', text };
        } catch {
          line = { msg: 'non-json output', text };
        }
        if (line.msg === this.#options.readyMessage) life.readyAt ??= Date.now();
        life.lines.push(line);
      });
    }
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        life.endedAt ??= Date.now();
        life.exitCode = code;
        life.signal = signal;
        const signalled = life.signals.some((s) => s.signal === 'SIGKILL' || s.signal === 'SIGTERM');
        if (!signalled) {
          life.crashed = true;
          // A process that dies by itself is restarted (as Kubernetes would), after a short back-off.
          if (!this.#stopping && this.#running.get(slot)?.life === life)
            setTimeout(() => {
              if (!this.#stopping && this.#running.get(slot)?.life === life) void this.start(slot);
            }, 500);
        }
        resolve();
      });
    });
    this.#running.set(slot, { life, child, exited });
    return life;
  }

  /** Waits until the process in `slot` has logged its ready line (or exited), with a deadline. */
  async waitReady(slot: number, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const life = this.current(slot);
      if (life === undefined) return false;
      if (life.readyAt !== undefined) return true;
      if (life.exitCode !== null || life.signal !== null || Date.now() > deadline) return false;
      await delay(50);
    }
  }

  #signal(slot: number, signal: SignalEvent['signal']): Running {
    const running = this.#running.get(slot);
    if (running === undefined) throw new Error(`no ${this.#options.name} in slot ${slot}`);
    if (running.life.exitCode !== null || running.life.signal !== null)
      throw new Error(`${running.life.label} already exited (restart pending)`);
    running.life.signals.push({ signal, at: Date.now() });
    running.child.kill(signal);
    return running;
  }

  /** SIGKILL, then a fresh process in the slot (`env` for the fresh one only). */
  async kill(slot: number, env: Record<string, string> = {}): Promise<ProcessLife> {
    const running = this.#running.get(slot);
    if (running === undefined) throw new Error(`no ${this.#options.name} in slot ${slot}`);
    running.life.killed = true;
    // The moment of death is when we send the signal: nothing the process does after it counts.
    running.life.endedAt = Date.now();
    this.#signal(slot, 'SIGKILL');
    await running.exited;
    await this.start(slot, env);
    return running.life;
  }

  /** SIGTERM and wait for the exit (SIGKILL after `graceMs`, then recorded as killed), then restart. */
  async terminate(slot: number, graceMs: number, restart = true): Promise<ProcessLife> {
    const running = this.#signal(slot, 'SIGTERM');
    const timer = setTimeout(() => {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.life.killed = true;
        running.life.endedAt = Date.now();
        running.life.signals.push({ signal: 'SIGKILL', at: Date.now() });
        running.child.kill('SIGKILL');
      }
    }, graceMs);
    await running.exited;
    clearTimeout(timer);
    if (restart) await this.start(slot);
    else this.#running.delete(slot);
    return running.life;
  }

  /** SIGSTOP for `ms`, then SIGCONT: a GC pause, CPU throttling or a VM pause longer than a lease. */
  async stall(slot: number, ms: number): Promise<ProcessLife> {
    const running = this.#signal(slot, 'SIGSTOP');
    await delay(ms);
    this.#signal(slot, 'SIGCONT');
    return running.life;
  }

  /** SIGTERM to every process (drain), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.slots.map((slot) => this.terminate(slot, graceMs, false)));
  }
}

/** SIGTERM outcomes: every process that got a SIGTERM must exit 0 (start-up included). */
export function sigtermExits(lives: ProcessLife[]): {
  total: number;
  clean: number;
  duringStartup: number;
  failures: string[];
} {
  const termed = lives.filter((l) => l.signals.some((s) => s.signal === 'SIGTERM'));
  const failures: string[] = [];
  let duringStartup = 0;
  for (const life of termed) {
    const term = life.signals.find((s) => s.signal === 'SIGTERM');
    const early = life.readyAt === undefined || (term !== undefined && term.at < life.readyAt);
    if (early) duringStartup += 1;
    if (life.exitCode !== 0) {
      const how = life.signal !== null ? `signal ${life.signal}` : `exit ${life.exitCode}`;
      const hung = life.killed ? ', SIGKILLed after the grace period' : '';
      failures.push(`${life.label} ${how}${early ? ' (SIGTERM during start-up)' : ''}${hung}`);
    }
  }
  return { total: termed.length, clean: termed.length - failures.length, duringStartup, failures };
}

/** Every life's lines to a JSON-lines file, for reading a failed run after the fact. */
export async function writeLives(file: string, lives: ProcessLife[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const lines = lives.flatMap((life) => [
    JSON.stringify({
      life: life.label,
      pid: life.pid,
      startedAt: life.startedAt,
      readyAt: life.readyAt,
      endedAt: life.endedAt,
      exitCode: life.exitCode,
      signal: life.signal,
      signals: life.signals,
      crashed: life.crashed,
    }),
    ...life.lines.map((line) => JSON.stringify({ life: life.label, ...line })),
  ]);
  await writeFile(file, lines.join('\n') + '\n');
}

/** Processes that exited without being signalled (any exit, 0 included, is unexpected then). */
export function crashes(lives: ProcessLife[]): string[] {
  return lives
    .filter((l) => l.crashed)
    .map(
      (l) =>
        `${l.label} ${l.signal !== null ? `signal ${l.signal}` : `exit ${l.exitCode}`}${l.readyAt === undefined ? ' before it was ready' : ''}`,
    );
}
