/**
 * `npm run bench:worker`: the image worker against baselines, interleaved in one run on the embedded
 * AWS, so machine load hits every variant alike and the ratios mean something when absolute numbers
 * do not. Variants: render-only (same specs, same pool, no queue), naive (a plain sqs-consumer loop:
 * render, PutObject, delete), and the real worker (services/image-worker/src/main.ts with the
 * production preload) at 1 and 2 processes. Each variant gets fresh queues, table and bucket; its
 * processes start against an empty queue and report ready, then N jobs are queued in one burst and
 * the clock runs from the first send to the last job COMPLETED (naive: its last PutObject answered).
 *
 *   npm run bench:worker -- --jobs 40 --runs 1 --variants render-only,naive,worker-1 --mix cards
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import {
  createIsolatedAws,
  startRequestCounter,
  waitFor,
  waitForQueueEmpty,
  type RequestCounter,
} from '@platform/testkit';
import { f, median, pct, startBenchAws, startBenchChild, type BenchChild } from '../lib/harness.ts';
import { encodeJob, planJobs, type Mix } from './specs.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'render-only,naive,worker-1,worker-2' },
    mix: { type: 'string', default: 'mixed,cards' },
    concurrency: { type: 'string', default: '4' },
    'render-threads': { type: 'string', default: '2' },
    'timeout-s': { type: 'string', default: '600' },
    // A directory: the real worker's processes run with `--cpu-prof` and write their profiles there.
    'cpu-prof-dir': { type: 'string' },
    // KEY=VALUE[,KEY=VALUE]: extra environment for the real worker's processes (NODE_OPTIONS, ...).
    'worker-env': { type: 'string', default: '' },
  },
});
const JOBS = Number(args.jobs);
const RUNS = Number(args.runs);
const VARIANTS = args.variants.split(',') as Variant[];
const MIXES = args.mix.split(',') as Mix[];
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
const WORKER_ENV: Record<string, string> = Object.fromEntries(
  args['worker-env']
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
// worker-1-otel-off: worker-1 with OTEL_SDK_DISABLED=true, for telemetry's share of the CPU.
type Variant = 'render-only' | 'naive' | 'worker-1' | 'worker-2' | 'worker-1-otel-off';
const KNOWN_VARIANTS: readonly Variant[] = [
  'render-only',
  'naive',
  'worker-1',
  'worker-2',
  'worker-1-otel-off',
];
for (const variant of VARIANTS) {
  if (!KNOWN_VARIANTS.includes(variant))
    throw new Error(`unknown variant ${variant} (${KNOWN_VARIANTS.join(', ')})`);
}

const log = (line: string) => process.stdout.write(`[bench:worker] ${line}\n`);
const scratch = mkdtempSync(join(tmpdir(), 'bench-worker-'));
const benchAws = await startBenchAws();
const { embedded, otlpEndpoint } = benchAws;

interface Result {
  variant: Variant;
  mix: Mix;
  run: number;
  wallMs: number;
  latencies: number[];
  procs: Array<{
    cpuMs: number;
    mainThreadCpuMs: number;
    maxRssMb: number;
    lagP99Ms: number;
    threadsCpuMs: Record<string, number>;
    peak?: {
      heapTotalMb: number;
      heapUsedMb: number;
      externalMb: number;
      arrayBuffersMb: number;
      liveHeapMb?: number;
    };
  }>;
  calls: Record<string, number>;
  emulatorCpuMs: number;
}

function javaCpuMs(): number {
  if (embedded.dynamodbPid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${embedded.dynamodbPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ 100
  } catch {
    return 0;
  }
}

type Child = BenchChild<true>;

function startChild(
  script: string,
  env: Record<string, string>,
  readyMsg: string,
  label: string,
  production = false,
): Child {
  return startBenchChild({
    script,
    env,
    label,
    scratch,
    production,
    ...(args['cpu-prof-dir'] === undefined ? {} : { cpuProfDir: args['cpu-prof-dir'] }),
    readyFrom: (line) => (line.includes(readyMsg) ? true : undefined),
    keepLine: (line, kept) => line.includes('render-only done') || kept < 50,
  });
}

async function runVariant(variant: Variant, mix: Mix, run: number): Promise<Result> {
  const aws = await createIsolatedAws();
  const counters: RequestCounter[] = [];
  const completedAt = new Map<string, number>();
  const jobs = planJobs(mix, JOBS, `${variant.replace(/[^a-z0-9]/g, '')}${run}${mix}`);
  const jobFile = join(scratch, `${variant}-${mix}-${run}.json`);
  writeFileSync(jobFile, JSON.stringify(jobs));
  const common = {
    ...aws.env,
    WORKER_CONCURRENCY: args.concurrency,
    RENDER_THREADS: args['render-threads'],
    BENCH_JOBS_FILE: jobFile,
  };
  let children: Child[] = [];
  try {
    if (variant === 'render-only') {
      children = [startChild('bench/worker/renderOnly.ts', common, 'render-only ready', variant)];
    } else {
      const processes = variant === 'worker-2' ? 2 : 1;
      for (let i = 0; i < processes; i++) {
        const label = `${variant}-${i}`;
        const env: Record<string, string> = { ...common };
        for (const service of ['sqs', 'sns', 's3', 'dynamodb'] as const) {
          const counter = await startRequestCounter({
            target: aws.endpoints[service],
            label,
            keepBodies: (r) => r.operation === 'UpdateItem',
          });
          counters.push(counter);
          env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] = counter.endpoint;
          counter.onSettled((r) => {
            if (r.status !== 200) return;
            if (variant === 'naive' && r.service === 's3' && r.method === 'PUT' && r.key !== undefined) {
              completedAt.set(
                r.key.replace(/^jobs\//, '').replace(/\.[a-z]+$/, ''),
                r.answeredAt ?? Date.now(),
              );
            }
            if (r.service === 'dynamodb' && r.body?.includes('":final":{"S":"COMPLETED"}') === true) {
              const id = /"jobId":\{"S":"([^"]+)"\}/.exec(r.body)?.[1];
              if (id !== undefined) completedAt.set(id, r.answeredAt ?? Date.now());
            }
          });
        }
        if (variant === 'naive') {
          children.push(startChild('bench/worker/naiveWorker.ts', env, 'naive worker started', label));
        } else {
          children.push(
            startChild(
              'services/image-worker/src/main.ts',
              {
                ...env,
                OTEL_SERVICE_NAME: 'image-worker',
                OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
                OTEL_METRICS_EXPORTER: 'none',
                OTEL_LOGS_EXPORTER: 'none',
                HEALTH_PORT: '0',
                LOG_LEVEL: 'info',
                ...(variant === 'worker-1-otel-off' ? { OTEL_SDK_DISABLED: 'true' } : {}),
                ...WORKER_ENV,
              },
              'image worker started',
              label,
              true,
            ),
          );
        }
      }
    }
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.kill('SIGUSR2');
    const cpu0 = process.cpuUsage();
    const java0 = javaCpuMs();
    const t0 = Date.now();
    let tEnd: number;
    let latencies: number[];
    if (variant === 'render-only') {
      await waitFor(() => children[0]!.lines.some((l) => l.includes('render-only done')), {
        description: 'render-only done',
        timeoutMs: TIMEOUT_MS,
        intervalMs: 20,
      });
      tEnd = Date.now();
      const done = JSON.parse(children[0]!.lines.find((l) => l.includes('render-only done'))!) as {
        doneAt: Record<string, number>;
      };
      latencies = Object.values(done.doneAt).map((at) => at - t0);
      tEnd = Math.max(...Object.values(done.doneAt));
    } else {
      const sentAt = new Map<string, number>();
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < jobs.length; i += 10) {
        const batch = jobs.slice(i, i + 10);
        const at = Date.now();
        for (const job of batch) sentAt.set(job.jobId, at);
        sends.push(
          aws.clients.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: aws.urls.imageJobs,
              Entries: batch.map((job, j) => {
                const { MessageBody, MessageAttributes } = encodeJob(job);
                return { Id: String(j), MessageBody, MessageAttributes };
              }),
            }),
          ),
        );
      }
      await Promise.all(sends);
      await waitFor(() => completedAt.size >= jobs.length, {
        description: `${JOBS} jobs completed by ${variant}`,
        timeoutMs: TIMEOUT_MS,
      });
      tEnd = Math.max(...completedAt.values());
      // Calls are counted until every message is deleted too (deletes follow the COMPLETED write).
      await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 60_000 });
      latencies = [...completedAt].map(([id, at]) => at - (sentAt.get(id) ?? t0));
    }
    const cpu = process.cpuUsage(cpu0);
    const emulatorCpuMs = (cpu.user + cpu.system) / 1000 + (javaCpuMs() - java0);
    const callsEnd = Date.now();
    const calls: Record<string, number> = {};
    for (const counter of counters) {
      for (const r of counter.requests((r) => r.at >= t0 && r.at <= callsEnd)) {
        const key = `${r.service}:${r.operation}`;
        calls[key] = (calls[key] ?? 0) + 1;
      }
    }
    // render-only exits by itself once done (a SIGTERM there would skip the probe's exit hook).
    if (variant !== 'render-only') for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    const procs = children.map(
      (c) => JSON.parse(readFileSync(c.probeFile, 'utf8')) as Result['procs'][number],
    );
    children = [];
    return { variant, mix, run, wallMs: tEnd - t0, latencies, procs, calls, emulatorCpuMs };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await Promise.all(counters.map((c) => c.close()));
    await aws.cleanup();
  }
}

function threadNames(rs: Result[]): string {
  const names = [...new Set(rs.flatMap((r) => Object.keys(r.procs[0]?.threadsCpuMs ?? {})))];
  return names
    .map((name) => [name, median(rs.map((r) => (r.procs[0]?.threadsCpuMs[name] ?? 0) / JOBS))] as const)
    .filter(([, ms]) => ms >= 0.1)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name}=${f(ms)}`)
    .join(' ');
}

const results: Result[] = [];
try {
  log(`${JOBS} jobs x ${RUNS} runs, variants ${VARIANTS.join(', ')}, mixes ${MIXES.join(', ')}`);
  for (const mix of MIXES) {
    for (let run = 1; run <= RUNS; run++) {
      // Interleaved: each run goes through every variant, in a rotated order, so drift in the
      // machine's load spreads over all of them.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + run - 1) % VARIANTS.length]!);
      for (const variant of order) {
        const result = await runVariant(variant, mix, run);
        results.push(result);
        log(
          `${mix} run ${run} ${variant}: ${f((JOBS * 1000) / result.wallMs, 2)} jobs/s (${result.wallMs} ms)`,
        );
      }
    }
  }
} finally {
  await benchAws.stop();
  rmSync(scratch, { recursive: true, force: true });
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
log(`load average at the end: ${load}`);
for (const mix of MIXES) {
  const of = (variant: Variant) => results.filter((r) => r.mix === mix && r.variant === variant);
  const renderCpu = median(of('render-only').map((r) => r.procs[0]!.cpuMs / JOBS));
  const jobsPerSecond = new Map<Variant, number>();
  process.stdout.write(`\n== ${mix}: ${JOBS} jobs, median of ${RUNS} run(s) ==\n`);
  for (const variant of VARIANTS) {
    const rs = of(variant);
    if (rs.length === 0) continue;
    const jps = median(rs.map((r) => (JOBS * 1000) / r.wallMs));
    jobsPerSecond.set(variant, jps);
    const lat = (p: number) => median(rs.map((r) => pct(r.latencies, p)));
    const cpuPerJob = median(rs.map((r) => r.procs.reduce((a, p) => a + p.cpuMs, 0) / JOBS));
    const mainCpuPerJob = median(rs.map((r) => r.procs.reduce((a, p) => a + p.mainThreadCpuMs, 0) / JOBS));
    const callKeys = [...new Set(rs.flatMap((r) => Object.keys(r.calls)))].sort();
    const perJob = callKeys
      .map((k) => `${k}=${f(median(rs.map((r) => (r.calls[k] ?? 0) / JOBS)), 2)}`)
      .join(' ');
    const totalCalls = median(rs.map((r) => Object.values(r.calls).reduce((a, b) => a + b, 0) / JOBS));
    process.stdout.write(
      [
        `${variant}:`,
        `  jobs/s ${f(jps, 2)}   enqueue->COMPLETED p50 ${f(lat(50), 0)} ms  p95 ${f(lat(95), 0)} ms  p99 ${f(lat(99), 0)} ms`,
        `  CPU ms/job ${f(cpuPerJob)} (outside rendering ${variant === 'render-only' ? '0.0' : f(cpuPerJob - renderCpu)})` +
          `   main thread ${f(mainCpuPerJob)}   emulator CPU ms/job ${f(median(rs.map((r) => r.emulatorCpuMs / JOBS)))}`,
        `  peak RSS MB per process (each run) ${rs.map((r) => r.procs.map((p) => f(p.maxRssMb, 0)).join('+')).join(', ')}` +
          `   event-loop lag p99 ms ${f(median(rs.flatMap((r) => r.procs.map((p) => p.lagP99Ms))))}`,
        `  CPU ms/job by thread name (first process, median): ${threadNames(rs)}`,
        `  peak MB (first process, each run): ${rs
          .map((r) => r.procs[0]?.peak)
          .map((p) =>
            p === undefined
              ? 'n/a'
              : `heap ${f(p.heapUsedMb, 0)}/${f(p.heapTotalMb, 0)} external ${f(p.externalMb, 0)} (array buffers ${f(p.arrayBuffersMb, 0)})` +
                (p.liveHeapMb === undefined
                  ? ''
                  : ` live heap at exit after a full GC ${f(p.liveHeapMb, 0)}`),
          )
          .join(', ')}`,
        ...(variant === 'render-only' ? [] : [`  AWS calls/job ${f(totalCalls, 2)}: ${perJob}`]),
      ].join('\n') + '\n',
    );
  }
  const worker = jobsPerSecond.get('worker-1');
  const naive = jobsPerSecond.get('naive');
  const renderOnly = jobsPerSecond.get('render-only');
  if (worker !== undefined && naive !== undefined)
    process.stdout.write(`worker / naive: ${f(worker / naive, 2)}\n`);
  if (worker !== undefined && renderOnly !== undefined)
    process.stdout.write(`worker / render-only: ${f(worker / renderOnly, 2)}\n`);
  const workerOff = jobsPerSecond.get('worker-1-otel-off');
  if (worker !== undefined && workerOff !== undefined) {
    const cpuOf = (variant: Variant, key: 'cpuMs' | 'mainThreadCpuMs') =>
      median(of(variant).map((r) => r.procs.reduce((a, p) => a + p[key], 0) / JOBS));
    process.stdout.write(
      `telemetry (worker-1 minus worker-1-otel-off): CPU ms/job ${f(cpuOf('worker-1', 'cpuMs') - cpuOf('worker-1-otel-off', 'cpuMs'))}` +
        `, main thread ${f(cpuOf('worker-1', 'mainThreadCpuMs') - cpuOf('worker-1-otel-off', 'mainThreadCpuMs'))}` +
        `; worker-1 / worker-1-otel-off jobs/s: ${f(worker / workerOff, 2)}\n`,
    );
  }
  const worker2 = jobsPerSecond.get('worker-2');
  if (worker2 !== undefined && naive !== undefined)
    process.stdout.write(`worker x2 / naive: ${f(worker2 / naive, 2)}\n`);
}
