/**
 * `npm run bench:api`: invite-api's POST /api/invitations against two baselines, interleaved in one
 * run on the embedded AWS, so machine load hits every variant alike and the ratios mean something
 * when absolute numbers do not. Variants:
 *
 *   invite-api  services/invite-api/src/main.ts with the production preload (telemetry, logs, metrics,
 *               relay and invite-events consumer running), spans exported over OTLP to a sink
 *   invite-api-otel-off  the same with OTEL_SDK_DISABLED=true: telemetry's share (not run by default)
 *   tx          bench/api/baseline.ts POST /tx: JWT + JSON + the same TransactWriteItems
 *   put         bench/api/baseline.ts POST /put: JWT + JSON + one PutItem
 *
 * Each variant run gets fresh queues and tables; its process starts and reports ready, takes a
 * warm-up, then autocannon sends `--requests` POSTs at `--connections`, every one from a distinct
 * user (HS256 JWTs minted as local mode and the tests do) for a distinct valid number, so neither the
 * daily limit nor the 24 h guard refuses one. The IP limit and the hourly ceiling are raised through
 * their documented variables (IP_RATE_LIMIT, GLOBAL_SMS_PER_HOUR).
 *
 * The SMS latency is read from the sms.requested bodies the SQS counter sees: every entry of the
 * request path's SendMessageBatch, or the relay's SendMessage. `--linger-ms` sets invite-api's
 * OUTBOX_SEND_LINGER_MS (its default otherwise) to compare lingers.
 *
 *   npm run bench:api -- --requests 500 --runs 1 --connections 10 --variants invite-api,tx
 *   npm run bench:api -- --requests 300 --runs 1 --variants invite-api,tx --linger-ms 25
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { isValidPhoneNumber } from 'libphonenumber-js';
import { createIsolatedAws, startRequestCounter, waitFor, type RequestCounter } from '@platform/testkit';
import { f, median, pct, startBenchAws, startBenchChild, type BenchChild } from '../lib/harness.ts';
import { LOCAL_DEV_JWT, mintToken } from '../../services/invite-api/src/auth/mintToken.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '200' },
    runs: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    variants: { type: 'string', default: 'invite-api,tx,put' },
    // A directory: invite-api runs with --cpu-prof, its profiles written there.
    'cpu-prof': { type: 'string', default: '' },
    'share-cards': { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '300' },
    // invite-api's OUTBOX_SEND_LINGER_MS; empty: its default.
    'linger-ms': { type: 'string', default: '' },
  },
});
type Variant = 'invite-api' | 'invite-api-otel-off' | 'tx' | 'put';
const isApi = (v: Variant) => v.startsWith('invite-api');
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const RUNS = Number(args.runs);
const CONNECTIONS = args.connections.split(',').map(Number);
const VARIANTS = args.variants.split(',') as Variant[];
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
// Not the published local secret: invite-api then runs with NODE_ENV=production, as deployed.
const SECRET = 'bench-api-secret-for-hs256-tokens-0123456789abcdef';

const log = (line: string) => process.stdout.write(`[bench:api] ${line}\n`);
const scratch = mkdtempSync(join(tmpdir(), 'bench-api-'));
const benchAws = await startBenchAws();
const { otlpEndpoint } = benchAws;

/** Distinct valid US numbers (+1 415 XXX XXXX), checked with the library invite-api uses. */
function* phoneNumbers(): Generator<string> {
  for (let exchange = 201; exchange <= 999; exchange++) {
    for (let line = 0; line < 10_000; line++) {
      const e164 = `+1415${exchange}${String(line).padStart(4, '0')}`;
      if (isValidPhoneNumber(e164)) yield e164;
    }
  }
}
const phones = phoneNumbers();
let userSeq = 0;

interface Load {
  /** One per request, in order: token and number. */
  requests: Array<{ token: string; phoneNumber: string }>;
}

async function mintLoad(count: number): Promise<Load> {
  const requests: Load['requests'] = [];
  for (let i = 0; i < count; i++) {
    const sub = `bench-user-${++userSeq}`;
    const token = await mintToken({
      sub,
      name: `Bench ${userSeq}`,
      secret: SECRET,
      issuer: LOCAL_DEV_JWT.issuer,
      audience: LOCAL_DEV_JWT.audience,
      ttlSeconds: 3600,
    });
    const next = phones.next();
    if (next.done === true) throw new Error('out of phone numbers');
    requests.push({ token, phoneNumber: next.value });
  }
  return { requests };
}

type Child = BenchChild<number>;

function startChild(variant: Variant, env: Record<string, string>): Child {
  const production = isApi(variant);
  return startBenchChild({
    script: production ? 'services/invite-api/src/main.ts' : 'bench/api/baseline.ts',
    env,
    label: variant,
    scratch,
    production,
    ...(production && args['cpu-prof'] !== '' ? { cpuProfDir: args['cpu-prof'] } : {}),
    readyFrom: (line) =>
      line.includes('"invite-api listening"') || line.includes('"baseline listening"')
        ? Number((JSON.parse(line) as { port: number }).port)
        : undefined,
    keepLine: (line, kept) => kept < 60 && !line.includes('"msg":"request"'),
  });
}

interface Result {
  variant: Variant;
  connections: number;
  run: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  cpuMsPerReq: number;
  maxRssMb: number;
  calls: Record<string, number>;
  /** invite-api only: request start -> sms.requested accepted by SQS, and 201 -> accepted (ms). */
  sms?: { fromStart: number[]; from201: number[] };
  /** invite-api only: entries per SendMessageBatch and deletes per BatchWriteItem in the measured window. */
  batchSizes?: { send: number[]; delete: number[] };
}

let reported500 = false;
function pathOf(variant: Variant): string {
  return isApi(variant) ? '/api/invitations' : `/${variant}`;
}

async function fire(
  url: string,
  load: Load,
  connections: number,
  track?: { startedAt: Map<string, number>; answeredAt: Map<string, number> },
): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url,
    connections,
    amount: load.requests.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const r = load.requests[next++ % load.requests.length]!;
          track?.startedAt.set(r.phoneNumber, Date.now());
          return {
            ...req,
            headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ phoneNumber: r.phoneNumber }),
          };
        },
        onResponse: (status, body) => {
          if (status >= 500 && !reported500) {
            reported500 = true;
            log(`first ${status} from ${url}: ${body.slice(0, 300)}`);
          }
          if (track === undefined || status !== 201) return;
          const phone = /"phoneNumber":"(\+\d+)"/.exec(body)?.[1];
          if (phone !== undefined) track.answeredAt.set(phone, Date.now());
        },
      },
    ],
  });
}

/** The SQS operations that put sms.requested on the queue: the relay's and the request path's (batched). */
const SENDS = new Set(['SendMessage', 'SendMessageBatch']);
const PHONE_IN_BODY = /phoneNumber\\*":\\*"(\+\d+)/g;

async function runVariant(variant: Variant, connections: number, run: number): Promise<Result> {
  const aws = await createIsolatedAws();
  const counters: RequestCounter[] = [];
  const endpoints: Record<string, string> = {};
  const queuedAt = new Map<string, number>();
  /** Outbox items deleted (DeleteItem, or the DeleteRequests of a BatchWriteItem), by arrival time. */
  const deletedAt: number[] = [];
  /** Entries per SendMessageBatch and deletes per BatchWriteItem, for the batch sizes printed. */
  const batchSizes = { send: [] as number[], delete: [] as number[] };
  /** Start of the measured window (after the warm-up's post-response work). */
  let measuredFrom = Number.POSITIVE_INFINITY;
  for (const service of ['sqs', 'dynamodb'] as const) {
    const counter = await startRequestCounter({
      target: aws.endpoints[service],
      label: variant,
      keepBodies: (r) => SENDS.has(r.operation) || r.operation === 'BatchWriteItem',
    });
    counters.push(counter);
    endpoints[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] = counter.endpoint;
    counter.onSettled((r) => {
      if (r.status !== 200) return;
      if (r.operation === 'DeleteItem') deletedAt.push(r.at);
      if (r.body === undefined) return;
      if (r.operation === 'BatchWriteItem') {
        // An UnprocessedItems answer is not seen here: a retried delete counts twice (rare, and only
        // ever makes the wait below end sooner by one item, never later).
        const deletes = r.body.split('"DeleteRequest"').length - 1;
        for (let i = 0; i < deletes; i++) deletedAt.push(r.at);
        if (r.at >= measuredFrom) batchSizes.delete.push(deletes);
        return;
      }
      if (!SENDS.has(r.operation)) return;
      // Every entry of a batch: a failed entry would count as queued (none fail in this bench).
      const phones = [...r.body.matchAll(PHONE_IN_BODY)].map((match) => match[1]!);
      if (r.operation === 'SendMessageBatch' && r.at >= measuredFrom) batchSizes.send.push(phones.length);
      for (const phone of phones) if (!queuedAt.has(phone)) queuedAt.set(phone, r.answeredAt ?? Date.now());
    });
  }
  const env: Record<string, string> = {
    ...aws.env,
    ...endpoints,
    JWT_SECRET: SECRET,
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'info',
    IP_RATE_LIMIT: '1000000',
    GLOBAL_SMS_PER_HOUR: '10000000',
    ...(args['share-cards'] ? {} : { IMAGE_JOBS_QUEUE_URL: '', IMAGE_JOBS_TABLE: '', ASSETS_BUCKET: '' }),
    ...(args['linger-ms'] === '' ? {} : { OUTBOX_SEND_LINGER_MS: args['linger-ms'] }),
    OTEL_SERVICE_NAME: 'invite-api',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    ...(variant === 'invite-api-otel-off' ? { OTEL_SDK_DISABLED: 'true' } : {}),
  };
  const warmup = await mintLoad(WARMUP);
  const load = await mintLoad(REQUESTS);
  /** Every created invitation's SMS request on the queue and its outbox item deleted. */
  const postResponseDone = async (phones: readonly string[], since: number, description: string) => {
    await waitFor(
      () =>
        phones.every((phone) => queuedAt.has(phone)) &&
        deletedAt.filter((at) => at >= since).length >= phones.length,
      { description, timeoutMs: TIMEOUT_MS },
    );
  };
  let child: Child | undefined = startChild(variant, env);
  try {
    const port = await child.ready;
    const url = `http://127.0.0.1:${port}${pathOf(variant)}`;
    if (WARMUP > 0) {
      const warmupStart = Date.now();
      const track = { startedAt: new Map<string, number>(), answeredAt: new Map<string, number>() };
      await fire(url, warmup, connections, isApi(variant) ? track : undefined);
      // The warm-up's last batch may still linger: let it finish before the measured window opens,
      // so its calls and CPU are not counted as the load's.
      if (isApi(variant))
        await postResponseDone([...track.answeredAt.keys()], warmupStart, 'the warm-up post-response work');
    }
    child.kill('SIGUSR2');
    const t0 = Date.now();
    measuredFrom = t0;
    const track = { startedAt: new Map<string, number>(), answeredAt: new Map<string, number>() };
    const result = await fire(url, load, connections, isApi(variant) ? track : undefined);
    if (isApi(variant)) {
      // Calls and CPU count until every created invitation's SMS request is on the queue and its
      // outbox item deleted: the post-response work is part of the request's cost.
      await postResponseDone(
        [...track.answeredAt.keys()],
        t0,
        `${track.answeredAt.size} sms.requested on the queue and outbox items deleted`,
      );
    }
    const tEnd = Date.now();
    const calls: Record<string, number> = {};
    for (const counter of counters) {
      for (const r of counter.requests((r) => r.at >= t0 && r.at <= tEnd)) {
        const key = `${r.service}:${r.operation}`;
        calls[key] = (calls[key] ?? 0) + 1;
      }
    }
    child.kill('SIGTERM');
    await child.exited;
    const probe = JSON.parse(readFileSync(child.probeFile, 'utf8')) as { cpuMs: number; maxRssMb: number };
    child = undefined;
    const statuses: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count ?? 0;
    const out: Result = {
      variant,
      connections,
      run,
      reqPerSec: REQUESTS / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      statuses,
      errors: result.errors + result.timeouts,
      cpuMsPerReq: probe.cpuMs / REQUESTS,
      maxRssMb: probe.maxRssMb,
      calls,
    };
    if (isApi(variant)) {
      const fromStart: number[] = [];
      const from201: number[] = [];
      for (const [phone, at] of queuedAt) {
        const started = track.startedAt.get(phone);
        const answered = track.answeredAt.get(phone);
        if (started !== undefined) fromStart.push(at - started);
        if (answered !== undefined) from201.push(at - answered);
      }
      out.sms = { fromStart, from201 };
      out.batchSizes = batchSizes;
    }
    return out;
  } finally {
    if (child !== undefined) {
      child.kill('SIGKILL');
      await child.exited;
    }
    await Promise.all(counters.map((c) => c.close()));
    await aws.cleanup();
  }
}

const results: Result[] = [];
try {
  log(
    `${REQUESTS} requests (+${WARMUP} warm-up) x ${RUNS} runs at ${CONNECTIONS.join(', ')} connection(s), variants ${VARIANTS.join(', ')}`,
  );
  log(`load average at the start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const connections of CONNECTIONS) {
    for (let run = 1; run <= RUNS; run++) {
      // Interleaved: each run goes through every variant in a rotated order, so drift in the
      // machine's load spreads over all of them.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + run - 1) % VARIANTS.length]!);
      for (const variant of order) {
        const r = await runVariant(variant, connections, run);
        results.push(r);
        log(
          `c=${connections} run ${run} ${variant}: ${f(r.reqPerSec, 0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms ` +
            `CPU ${f(r.cpuMsPerReq, 2)} ms/req statuses ${JSON.stringify(r.statuses)} errors ${r.errors}`,
        );
      }
    }
  }
} finally {
  await benchAws.stop();
  rmSync(scratch, { recursive: true, force: true });
}

log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const connections of CONNECTIONS) {
  const of = (variant: Variant) =>
    results.filter((r) => r.connections === connections && r.variant === variant);
  process.stdout.write(
    `\n== ${connections} connection(s): ${REQUESTS} requests, median of ${RUNS} run(s) ==\n`,
  );
  const summary = new Map<Variant, { cpu: number; p99: number }>();
  for (const variant of VARIANTS) {
    const rs = of(variant);
    if (rs.length === 0) continue;
    const cpu = median(rs.map((r) => r.cpuMsPerReq));
    const p99 = median(rs.map((r) => r.p99));
    summary.set(variant, { cpu, p99 });
    const statuses: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    const unexpected = Object.entries(statuses)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, n]) => `${code}=${n}`);
    const callKeys = [...new Set(rs.flatMap((r) => Object.keys(r.calls)))].sort();
    const perReq = callKeys
      .map((k) => `${k}=${f(median(rs.map((r) => (r.calls[k] ?? 0) / REQUESTS)), 2)}`)
      .join(' ');
    const total = median(rs.map((r) => Object.values(r.calls).reduce((a, b) => a + b, 0) / REQUESTS));
    const lines = [
      `${variant}:`,
      `  req/s ${f(median(rs.map((r) => r.reqPerSec)), 0)}   latency p50 ${f(median(rs.map((r) => r.p50)), 0)} ms  p99 ${f(p99, 0)} ms`,
      `  CPU ms/req ${f(cpu, 2)}   peak RSS MB (each run) ${rs.map((r) => f(r.maxRssMb, 0)).join(', ')}`,
      `  non-2xx ${unexpected.length === 0 ? 'none' : unexpected.join(' ')}   connection errors/timeouts ${rs.reduce((a, r) => a + r.errors, 0)}`,
      `  AWS calls/req ${f(total, 2)}: ${perReq}`,
    ];
    const sms = rs.flatMap((r) => (r.sms === undefined ? [] : [r.sms]));
    if (sms.length > 0) {
      const fromStart = (p: number) => median(sms.map((s) => pct(s.fromStart, p)));
      const from201 = (p: number) => median(sms.map((s) => pct(s.from201, p)));
      lines.push(
        `  SMS latency, POST sent -> sms.requested on the queue: p50 ${f(fromStart(50), 0)} ms  p99 ${f(fromStart(99), 0)} ms` +
          `;  201 -> on the queue: p50 ${f(from201(50), 0)} ms  p99 ${f(from201(99), 0)} ms (negative: queued before the 201)`,
      );
    }
    const batches = rs.flatMap((r) => (r.batchSizes === undefined ? [] : [r.batchSizes]));
    if (batches.length > 0) {
      const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
      lines.push(
        `  post-response batches: ${f(median(batches.map((b) => mean(b.send))), 1)} entries per SendMessageBatch, ` +
          `${f(median(batches.map((b) => mean(b.delete))), 1)} deletes per BatchWriteItem`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  for (const apiVariant of ['invite-api', 'invite-api-otel-off'] as const) {
    const api = summary.get(apiVariant);
    for (const base of ['tx', 'put'] as const) {
      const b = summary.get(base);
      if (api === undefined || b === undefined) continue;
      process.stdout.write(
        `${apiVariant} / ${base}: CPU/req ${f(api.cpu / b.cpu, 2)}  p99 ${f(api.p99 / b.p99, 2)}\n`,
      );
    }
  }
}
