import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { spawnBoundChild } from '@platform/dev-process';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** The parsed object when the line is JSON (pino, EMF), else undefined. */
  json: Record<string, unknown> | undefined;
  at: number;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunServiceOptions {
  /** Used in messages, e.g. `image-worker#1`. */
  name: string;
  /** Path of the entry file, e.g. `services/image-worker/src/main.ts` (relative to the cwd). */
  entry: string;
  /** The child's whole environment on top of PATH/HOME/TMPDIR: nothing else leaks in from the test. */
  env: Record<string, string>;
  args?: string[];
  cwd?: string;
  /**
   * Default true: preload `@platform/service-runtime/register` (early signal handlers, then the
   * telemetry preload) as the Dockerfile does, or `@platform/telemetry/register` where that is absent.
   */
  telemetry?: boolean;
}

export interface RunningService {
  name: string;
  pid: number | undefined;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ServiceExit>;
  /** Every line so far, in order. */
  logs(): LogLine[];
  /** Resolves with the first line (past or future) matching `predicate`; rejects at the timeout or exit. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends the signal (default SIGTERM) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ServiceExit>;
  /** The last `count` lines as text, for failure messages. */
  tail(count?: number): string;
}

const PASSTHROUGH_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'JAVA_HOME'];

function telemetryRegisterUrl(): string | undefined {
  for (const specifier of ['@platform/service-runtime/register', '@platform/telemetry/register']) {
    try {
      const url = import.meta.resolve(specifier);
      if (existsSync(fileURLToPath(url))) return url;
    } catch {
      // this package does not export it (yet)
    }
  }
  return undefined;
}

/**
 * Runs a service as a real child process (`node --import @platform/telemetry/register <entry>`) with its
 * own environment, capturing every line it prints. It is killed at teardown; if the test failed, the
 * tail of its output is logged with the failure.
 */
export function runService(t: ExecutionContext, options: RunServiceOptions): RunningService {
  const register = options.telemetry === false ? undefined : telemetryRegisterUrl();
  const nodeArgs = [
    ...(register === undefined ? [] : ['--import', register]),
    options.entry,
    ...(options.args ?? []),
  ];
  const baseEnv = Object.fromEntries(
    PASSTHROUGH_ENV.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]])),
  ) as Record<string, string>;
  const child = spawnBoundChild(process.execPath, nodeArgs, {
    cwd: options.cwd ?? process.cwd(),
    // The telemetry preload refuses to start without a service name; default it to ours (`image-worker#2` -> `image-worker`).
    env: { ...baseEnv, OTEL_SERVICE_NAME: options.name.replace(/#.*$/, ''), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const lines: LogLine[] = [];
  const listeners = new Set<(line: LogLine) => void>();
  const capture = (stream: LogLine['stream'], source: NodeJS.ReadableStream | null) => {
    if (source === null) return;
    createInterface({ input: source, crlfDelay: Infinity }).on('line', (text) => {
      const line: LogLine = { stream, text, json: parseJson(text), at: Date.now() };
      lines.push(line);
      for (const listener of listeners) listener(line);
    });
  };
  capture('stdout', child.stdout);
  capture('stderr', child.stderr);

  let hasExited = false;
  const exited = new Promise<ServiceExit>((resolve) => {
    // 'close' (not 'exit'): it fires after stdout/stderr are drained, so logs() is complete by then.
    child.once('close', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      lines.push({ stream: 'stderr', text: `spawn failed: ${err.message}`, json: undefined, at: Date.now() });
      hasExited = true;
      resolve({ code: null, signal: null });
    });
  });

  const tail = (count = 40) =>
    lines
      .slice(-count)
      .map((l) => `${options.name} ${l.stream === 'stderr' ? '!' : '|'} ${l.text}`)
      .join('\n');

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!hasExited) child.kill(signal);
    return exited;
  };

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 10_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const already = lines.find(predicate);
      if (already !== undefined) {
        resolve(already);
        return;
      }
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(onLine);
      };
      const onLine = (line: LogLine) => {
        if (!predicate(line)) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${options.name}: no log line matched ${predicate.toString()} within ${timeoutMs} ms. Last lines:\n${tail()}`,
          ),
        );
      }, timeoutMs);
      listeners.add(onLine);
      void exited.then((exit) => {
        if (!listeners.has(onLine)) return;
        cleanup();
        reject(
          new Error(
            `${options.name} exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) before a log line matched ${predicate.toString()}. Last lines:\n${tail()}`,
          ),
        );
      });
    });

  t.teardown(async () => {
    if (!t.passed && lines.length > 0) t.log(`Last output of ${options.name}:\n${tail()}`);
    if (!hasExited) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  return { name: options.name, pid: child.pid, exited, logs: () => [...lines], waitForLog, kill, tail };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
