// What both benchmarks (bench/worker, bench/api) need around the variants they compare: one
// embedded AWS shared with the children, an OTLP sink, child processes under the probe, and the
// statistics they print. Bench-only code: nothing in services/ or libs/ imports it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedAws } from '@platform/aws-resources/embedded';
import { serializeSharedAws, SHARED_AWS_ENV_VAR, spawnBoundChild } from '@platform/testkit';

export const ROOT = new URL('../../', import.meta.url).pathname;
/** The bench-only preload that reports CPU, RSS and event-loop lag of a child (bench/worker/probe.ts). */
export const PROBE = new URL('../worker/probe.ts', import.meta.url).pathname;

export interface BenchAws {
  embedded: Awaited<ReturnType<typeof startEmbeddedAws>>;
  /** Accepts every OTLP export and drops it: the production preload exports to something, as deployed. */
  otlpEndpoint: string;
  stop(): Promise<void>;
}

/** Starts the emulators once and shares them with everything this process provisions (testkit). */
export async function startBenchAws(): Promise<BenchAws> {
  const embedded = await startEmbeddedAws();
  process.env[SHARED_AWS_ENV_VAR] = serializeSharedAws({
    endpoints: embedded.endpoints,
    env: embedded.env,
    region: embedded.region,
  });
  const otlpSink: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => otlpSink.listen(0, '127.0.0.1', resolve));
  return {
    embedded,
    otlpEndpoint: `http://127.0.0.1:${(otlpSink.address() as AddressInfo).port}`,
    async stop() {
      otlpSink.close();
      await embedded.stop();
    },
  };
}

export interface BenchChild<T> {
  /** What `readyFrom` found in the child's output (its port, or true), or the reason it exited first. */
  ready: Promise<T>;
  /** The first lines of its output (for the error when it fails), as `keepLine` chose them. */
  lines: string[];
  exited: Promise<void>;
  pid: number;
  /** Where the probe writes the child's figures on exit. */
  probeFile: string;
  kill(signal: NodeJS.Signals): void;
}

export interface BenchChildOptions<T> {
  script: string;
  env: Record<string, string>;
  label: string;
  /** Scratch directory for the probe file. */
  scratch: string;
  /** The real service: it gets the production preload (telemetry and all); baselines run bare. */
  production: boolean;
  /** With `production`: run under `--cpu-prof`, profiles written there. */
  cpuProfDir?: string;
  /** Recognises the ready line and returns what the caller needs from it. */
  readyFrom: (line: string) => T | undefined;
  keepLine: (line: string, kept: number) => boolean;
}

export function startBenchChild<T>(options: BenchChildOptions<T>): BenchChild<T> {
  const { production, cpuProfDir } = options;
  const probeFile = join(
    options.scratch,
    `${options.label}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`,
  );
  const child = spawnBoundChild(
    process.execPath,
    [
      ...(production && cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      ...(production ? ['--import', '@platform/service-runtime/register'] : []),
      '--import',
      PROBE,
      options.script,
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...options.env,
        BENCH_PROBE_FILE: probeFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let onReady: (value: T) => void = () => {};
  const ready = new Promise<T>((resolve) => (onReady = resolve));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      const found = options.readyFrom(line);
      if (found !== undefined) onReady(found);
      if (options.keepLine(line, lines.length)) lines.push(line);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = exited.then(() => {
    throw new Error(`${options.label} exited before it was ready:\n${lines.join('\n')}`);
  });
  failed.catch(() => {});
  return {
    ready: Promise.race([ready, failed]),
    lines,
    exited,
    pid: child.pid ?? 0,
    probeFile,
    kill: (signal) => void child.kill(signal),
  };
}

/** The p-th percentile (nearest rank). */
export const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
/** The true median (mean of the middle two for an even count). */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
