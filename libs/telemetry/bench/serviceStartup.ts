// Start-up to ready of each real service (process spawn -> first 200 from its /readyz), for:
//   none      no --import: the services alone, what the SDK adds is measured against this
//   baseline  `--import` of libs/telemetry/src/register.ts from a git revision (--baseline=<rev>)
//   current   `--import @platform/telemetry/register` of this tree (NodeSDK), with Node's compile
//             cache warm (NODE_COMPILE_CACHE, as `npm start` sets it)
//   current-nocache  the same without the cache (a production pod, which does not set it)
// against one embedded AWS (fauxqs + DynamoDB Local) provisioned as ENV_NAME=bench, with the
// environment `npm start` gives each service. Runs are interleaved (every variant once per round,
// the order rotating) so that the load of a shared machine falls on all variants alike.
//   node libs/telemetry/bench/serviceStartup.ts [--runs=5] [--baseline=<git rev>] [--services=a,b]
// Prints the median and min per service and variant, and each variant's median as a ratio of
// the baseline's. No OTLP endpoint is set: this measures loading and instrumenting.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAwsClients, defineResources, provision, resourceEnv } from '@platform/aws-resources';
import { startEmbeddedAws } from '@platform/aws-resources/embedded';
import { freePort, type DevContext } from '@platform/dev-process';
import { discoverServices } from '../../../scripts/lib/services.ts';

const READY_TIMEOUT_MS = 120_000;
const root = resolve(import.meta.dirname, '../../..');
const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    baseline: { type: 'string' },
    services: { type: 'string' },
  },
});
const runs = Number(flags.runs);

interface Sample {
  wallMs: number;
  cpuMs: number;
}
interface Variant {
  name: string;
  importArgs: string[];
  env: Record<string, string>;
}
const compileCacheDir = mkdtempSync(join(tmpdir(), 'startup-bench-compile-cache-'));
const variants: Variant[] = [
  { name: 'none', importArgs: [], env: {} },
  {
    name: 'current',
    importArgs: ['--import', '@platform/telemetry/register'],
    env: { NODE_COMPILE_CACHE: compileCacheDir },
  },
  { name: 'current-nocache', importArgs: ['--import', '@platform/telemetry/register'], env: {} },
];

// The baseline's telemetry sources, extracted beside ours so that they resolve the same packages.
let baselineDir: string | undefined;
if (flags.baseline !== undefined) {
  baselineDir = join(root, 'libs/telemetry/bench', `.baseline-${flags.baseline}`);
  rmSync(baselineDir, { recursive: true, force: true });
  mkdirSync(baselineDir, { recursive: true });
  const archive = execFileSync('git', ['archive', flags.baseline, 'libs/telemetry/src'], { cwd: root });
  execFileSync('tar', ['-x', '--strip-components=2', '-C', baselineDir], { input: archive });
  variants.splice(1, 0, {
    name: 'baseline',
    importArgs: ['--import', join(baselineDir, 'src/register.ts')],
    env: {},
  });
}

const aws = await startEmbeddedAws({ s3Dir: mkdtempSync(join(tmpdir(), 'startup-bench-s3-')) });
const dataDir = mkdtempSync(join(tmpdir(), 'startup-bench-data-'));
try {
  const clients = createAwsClients(aws.env);
  const provisioned = await provision(clients, defineResources({ envName: 'bench' }), { log: () => {} });
  const sharedEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    LOG_LEVEL: 'warn',
    METRICS_SINK: 'none',
    ENV_NAME: 'bench',
    ...aws.env,
    ...resourceEnv(provisioned),
  };
  const wanted = flags.services?.split(',');
  const plans = (await discoverServices(root)).filter((p) => wanted === undefined || wanted.includes(p.name));
  const apiPort = await freePort();
  const serviceEnvs = new Map<string, Record<string, string>>();
  for (const plan of plans) {
    const ctx: DevContext = {
      env: sharedEnv,
      resources: provisioned,
      clients,
      endpoints: aws.endpoints,
      print: () => {},
      dataDir,
      urls: { inviteApi: `http://127.0.0.1:${apiPort}` },
    };
    serviceEnvs.set(plan.name, { ...sharedEnv, ...((await plan.dev?.env?.(ctx)) ?? {}) });
  }

  /** CPU time (user + system) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
  function cpuMs(pid: number | undefined): number {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return NaN;
    }
  }

  async function startOnce(service: string, entry: string, variant: Variant): Promise<Sample> {
    const port = await freePort();
    const env: Record<string, string> = {
      ...serviceEnvs.get(service),
      ...variant.env,
      OTEL_SERVICE_NAME: service,
      HEALTH_PORT: String(port),
      PORT: String(port), // invite-api serves /readyz on its API port
    };
    const started = performance.now();
    const child = spawn(process.execPath, [...variant.importArgs, entry], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited = false;
    const exit = new Promise<void>((done) =>
      child.once('exit', () => {
        exited = true;
        done();
      }),
    );
    try {
      while (!exited) {
        if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${service} not ready`);
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(500) })
          .then((res) => res.ok)
          .catch(() => false);
        if (ok) return { wallMs: performance.now() - started, cpuMs: cpuMs(child.pid) };
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${service} (${variant.name}) exited before ready:\n${stderr}`);
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
  }

  const results = new Map<string, Sample[]>();
  const key = (service: string, variant: string) => `${service}\t${variant}`;
  for (const plan of plans) {
    // Warm the file system cache (and the compile cache) once per variant.
    for (const variant of variants) await startOnce(plan.name, plan.entry, variant);
    for (let round = 0; round < runs; round += 1) {
      for (let i = 0; i < variants.length; i += 1) {
        const variant = variants[(round + i) % variants.length] as Variant;
        const sample = await startOnce(plan.name, plan.entry, variant);
        const list = results.get(key(plan.name, variant.name)) ?? [];
        list.push(sample);
        results.set(key(plan.name, variant.name), list);
      }
    }
  }

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[mid] ?? NaN)
      : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  };
  const reference = variants.some((v) => v.name === 'baseline') ? 'baseline' : 'none';
  console.log(
    `start-up to ready, median (min) of ${runs} interleaved runs per variant; node ${process.version}, ${process.arch}; load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
  );
  for (const metric of ['wallMs', 'cpuMs'] as const) {
    console.log(
      metric === 'wallMs'
        ? 'wall time, ms: median (min) ratio'
        : 'CPU time of the service process until ready (user+sys), ms: median (min) ratio',
    );
    console.log(['service'.padEnd(14), ...variants.map((v) => v.name.padStart(22))].join(''));
    for (const plan of plans) {
      const of = (variant: string) => (results.get(key(plan.name, variant)) ?? []).map((s) => s[metric]);
      const ref = median(of(reference));
      const cells = variants.map((v) => {
        const values = of(v.name);
        const m = median(values);
        return `${m.toFixed(0)} (${Math.min(...values).toFixed(0)}) ${(m / ref).toFixed(2)}x`.padStart(22);
      });
      console.log([plan.name.padEnd(14), ...cells].join(''));
    }
  }
  console.log(`ratios are medians relative to "${reference}"`);
} finally {
  await aws.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(compileCacheDir, { recursive: true, force: true });
  if (baselineDir !== undefined) rmSync(baselineDir, { recursive: true, force: true });
}
