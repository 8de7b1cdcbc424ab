/**
 * Chaos run for the image worker (`npm run chaos:worker`, `npm run chaos:worker:ci` at reduced scale).
 *
 * Several worker processes consume one queue whose retry settings are the production definition's
 * (maxReceiveCount not raised; only the timings are shortened). Every worker talks to S3 and DynamoDB
 * through its own endpoint of two fault-injecting proxies (testkit `startRequestCounter`), which
 * answer a seeded share of requests with 503, delay them, or apply them and drop the answer; the S3
 * proxy enforces `If-None-Match: *` as real S3 does and counts successful PUTs per key. Meanwhile a
 * chaos monkey SIGKILLs workers, SIGTERMs them (also during start-up) and SIGSTOPs them for longer than
 * the lease before SIGCONT. The job mix has duplicate submissions, poison and transiently failing jobs.
 * At the end it prints a verdict table and exits 1 on any violation of the worker's guarantees.
 *
 *   node test/chaos/imageWorkerChaos.ts [--jobs 300] [--workers 3] [--seed N] [--fault-rate 0.15]
 *     [--chaos-s 120] [--timeout-s 600]
 */
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedAws, type EmbeddedAws } from '@platform/aws-resources/embedded';
import {
  createIsolatedAws,
  queueCounts,
  serializeSharedAws,
  SHARED_AWS_ENV_VAR,
  startRequestCounter,
  type ObservedRequest,
} from '@platform/testkit';
import { ChaosMonkey } from './lib/chaosMonkey.ts';
import { installFaultMix } from './lib/faults.ts';
import { planMessages } from './lib/jobMix.ts';
import { ProcessFleet, writeLives, type ProcessLife } from './lib/processFleet.ts';
import { seededRandom } from './lib/random.ts';
import { leaseWrites } from './lib/leaseLog.ts';
import { completionEventRows } from './lib/completionEvents.ts';
import { buildVerdict, drainQueue, formatRows, scanLedger } from './lib/verdict.ts';
import { FAULT_INJECTION_PRELOAD } from '../../services/image-worker/test/plugins/index.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '300' },
    workers: { type: 'string', default: '3' },
    seed: { type: 'string' },
    'fault-rate': { type: 'string', default: '0.15' },
    'every-min-ms': { type: 'string', default: '1500' },
    'every-max-ms': { type: 'string', default: '4000' },
    'chaos-s': { type: 'string', default: '120' },
    'timeout-s': { type: 'string', default: '600' },
  },
});
const JOBS = Number(args.jobs);
const WORKERS = Number(args.workers);
const SEED = args.seed === undefined ? randomInt(2 ** 31) : Number(args.seed);
const FAULT_RATE = Number(args['fault-rate']);
const EVERY_MS: [number, number] = [Number(args['every-min-ms']), Number(args['every-max-ms'])];
// Chaos stops when every valid job is done or this window has passed; the rest of the run drains.
const CHAOS_MS = Number(args['chaos-s']) * 1000;
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
// Short timings so a killed or stalled worker's jobs come back within seconds, as in the process
// tests. The retry limit (maxReceiveCount) stays the queue definition's own.
const VISIBILITY_SECONDS = 4;
const LEASE_MS = VISIBILITY_SECONDS * 1000;
const SHUTDOWN_GRACE_MS = 8000;

const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const started = Date.now();
const random = seededRandom(SEED);
log(
  `seed ${SEED}: ${JOBS} jobs, ${WORKERS} workers, ${FAULT_RATE * 100} % S3/DynamoDB faults, an action every ${EVERY_MS.join('-')} ms for up to ${CHAOS_MS / 1000} s`,
);

let embedded: EmbeddedAws | undefined;
if (process.env[SHARED_AWS_ENV_VAR] === undefined) {
  embedded = await startEmbeddedAws();
  process.env[SHARED_AWS_ENV_VAR] = serializeSharedAws({
    endpoints: embedded.endpoints,
    env: embedded.env,
    region: embedded.region,
  });
  log(`emulators up in ${embedded.startupMs.total} ms`);
}
const aws = await createIsolatedAws({
  queues: { imageJobs: { visibilityTimeoutSeconds: VISIBILITY_SECONDS } },
});
// Every worker's S3 and DynamoDB traffic goes through these, each worker life on its own endpoint.
// S3's own fences that fauxqs lacks: If-None-Match, and the expiry of a presigned (upload) attempt.
const s3 = await startRequestCounter({
  target: aws.endpoints.s3,
  seed: SEED,
  enforceIfNoneMatch: true,
  enforceRequestExpiry: true,
});
const dynamodb = await startRequestCounter({
  target: aws.endpoints.dynamodb,
  seed: SEED + 1,
  // The ledger's writes: the verdict reads the lease intervals from them.
  keepBodies: (r) =>
    r.operation === 'UpdateItem' || r.operation === 'PutItem' || r.operation === 'TransactWriteItems',
});
const fromWorker = (r: ObservedRequest) => r.client.startsWith('worker');
const mix = { rate: FAULT_RATE, latencyMs: [100, 1000] as [number, number] };
const s3Faults = installFaultMix(s3, fromWorker, mix);
const dynamodbFaults = installFaultMix(dynamodb, fromWorker, mix);

const fleet = new ProcessFleet({
  name: 'worker',
  script: 'services/image-worker/src/main.ts',
  // The real entry point, with the test-only `test-transient-fault` template loaded after the preload.
  imports: [FAULT_INJECTION_PRELOAD],
  size: WORKERS,
  readyMessage: 'image worker started',
  env: {
    ...aws.env,
    OTEL_SERVICE_NAME: 'image-worker',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'none',
    RECEIVE_WAIT_SECONDS: '1',
    VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    HEARTBEAT_INTERVAL_SECONDS: '1',
    LEASE_DURATION_MS: String(LEASE_MS),
    RENDER_THREADS: '1',
    WORKER_CONCURRENCY: '4',
    BACKOFF_BASE_SECONDS: '1',
    BACKOFF_MAX_SECONDS: '2',
    SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  },
  envFor: async (label) => ({
    AWS_ENDPOINT_URL_S3: await s3.openEndpoint(label),
    AWS_ENDPOINT_URL_DYNAMODB: await dynamodb.openEndpoint(label),
  }),
});

/** True while the life holds a job (a lease acquired, its attempt not ended): the stall that matters. */
function holdsAJob(life: ProcessLife): boolean {
  const open = new Set<string>();
  for (const line of life.lines) {
    if (typeof line.jobId !== 'string') continue;
    if (line.msg === 'job lease acquired') open.add(line.jobId);
    else if (line.msg === 'job attempt ended') open.delete(line.jobId);
  }
  return open.size > 0;
}

const monkey = new ChaosMonkey({
  fleet,
  random,
  everyMs: EVERY_MS,
  weights: { kill: 3, term: 2, 'term-at-startup': 1, stall: 3 },
  // Past the lease and the visibility timeout: another worker receives the job and takes it over.
  stallMs: [LEASE_MS + 1500, LEASE_MS + 4000],
  startupTermMs: [0, 1500],
  graceMs: SHUTDOWN_GRACE_MS + 4000,
  preferForStall: holdsAJob,
  log,
});

// Targeted stalls: the pauses that break a lease protocol are those right after the lease was granted
// (the owner resumes holding an answer that is already stale), right before the upload, and between
// two sends of one upload (an SDK retry after a 503). Random SIGSTOPs rarely land there, so the proxies
// trigger some.
const triggers = seededRandom(SEED + 2);
const slotOf = (label: string) => {
  const life = fleet.lives.find((l) => l.label === label);
  return life !== undefined && fleet.current(life.slot) === life ? life.slot : undefined;
};
const liveLeases = new Map<string, number>();
dynamodb.onSettled((request) => {
  for (const write of leaseWrites([request], aws.tables.imageJobs)) {
    const id = `${write.label}\u0000${write.key}`;
    const before = liveLeases.get(id);
    if (write.expiresAt === undefined) {
      liveLeases.delete(id);
      continue;
    }
    liveLeases.set(id, write.expiresAt);
    const granted = before === undefined || before < write.at;
    const slot = slotOf(write.label);
    if (granted && slot !== undefined && triggers() < 0.1)
      monkey.actNow('stall', slot, `right after its lease on ${write.key} was granted`);
  }
});
s3.onSettled((request) => {
  const slot = slotOf(request.client);
  if (slot === undefined || request.key?.startsWith('jobs/') !== true) return;
  // A retried attempt HEADs its output key before uploading: a pause right after a 404 there is a
  // pause right before the PUT.
  if (request.method === 'HEAD' && request.status === 404 && triggers() < 0.5)
    monkey.actNow('stall', slot, `right before its PUT of ${request.key}`);
  if (request.method === 'PUT' && (request.injected || request.dropped !== undefined) && triggers() < 0.5)
    monkey.actNow(
      'stall',
      slot,
      `right after a ${request.dropped ?? request.status} on its PUT of ${request.key}`,
    );
});

let exitCode = 1;
try {
  await fleet.startAll();
  const planned = planMessages(random, `chaos${SEED.toString(36)}`, {
    jobs: JOBS,
    duplicateRate: 0.05,
    poisonRate: 0.03,
    flakyRate: 0.05,
  });
  const goodJobs = new Set(planned.filter((m) => m.kind !== 'poison').map((m) => m.jobId ?? ''));
  const poisonCount = planned.filter((m) => m.kind === 'poison').length;

  // Submission runs alongside the chaos: batches of 10, a few per second.
  const chaosStarted = Date.now();
  monkey.start();
  for (let i = 0; i < planned.length; i += 10) {
    const batch = planned.slice(i, i + 10);
    const { Failed = [] } = await aws.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: aws.urls.imageJobs,
        Entries: batch.map((m, index) => ({
          Id: String(index),
          MessageBody: m.body,
          MessageAttributes: m.attributes,
        })),
      }),
    );
    if (Failed.length > 0)
      throw new Error(`SendMessageBatch failed for ${Failed.length} messages: ${JSON.stringify(Failed[0])}`);
    await delay(150);
  }
  log(`submitted ${planned.length} messages (${goodJobs.size} valid jobs, ${poisonCount} poison)`);

  const deadline = chaosStarted + TIMEOUT_MS;
  let chaosOn = true;
  let emptyPolls = 0;
  let lastReport = 0;
  for (;;) {
    const ledger = await scanLedger(aws.clients, aws.tables.imageJobs);
    const completed = [...goodJobs].filter((id) => ledger.get(id)?.status === 'COMPLETED').length;
    if (chaosOn && (completed === goodJobs.size || Date.now() - chaosStarted > CHAOS_MS)) {
      log(
        completed === goodJobs.size ? 'every valid job completed; chaos off' : `chaos window over; draining`,
      );
      await monkey.stop();
      chaosOn = false;
    }
    const main = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
    // Settled: chaos over and the queue empty twice in a row (a deferred message shows as delayed).
    emptyPolls = !chaosOn && main.visible + main.inFlight + main.delayed === 0 ? emptyPolls + 1 : 0;
    if (emptyPolls >= 2 || Date.now() > deadline) {
      if (emptyPolls < 2) log(`TIMEOUT after ${TIMEOUT_MS / 1000} s`);
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
      log(
        `${completed}/${goodJobs.size} completed; queue ${JSON.stringify(main)}; DLQ ${dlq.visible + dlq.inFlight} (poison ${poisonCount})`,
      );
    }
    await delay(1000);
  }
  if (chaosOn) await monkey.stop();
  await fleet.stop(SHUTDOWN_GRACE_MS + 4000);

  const { rows, problems } = await buildVerdict({
    clients: aws.clients,
    table: aws.tables.imageJobs,
    bucket: aws.bucket,
    queueUrl: aws.urls.imageJobs,
    dlqUrl: aws.urls.imageJobsDlq,
    planned,
    lives: fleet.lives,
    s3,
    dynamodb,
    faultSummary: { s3: s3Faults.summary(), dynamodb: dynamodbFaults.summary() },
  });
  // What a subscriber of the job-events topic saw: at least one completion event per COMPLETED job.
  const events = completionEventRows(
    await drainQueue(aws.clients, aws.urls.imageJobEvents),
    await scanLedger(aws.clients, aws.tables.imageJobs),
    goodJobs,
  );
  const firstInfo = rows.findIndex((r) => r.ok === undefined);
  rows.splice(
    firstInfo === -1 ? rows.length : firstInfo,
    0,
    ...events.rows.filter((r) => r.ok !== undefined),
  );
  rows.push(...events.rows.filter((r) => r.ok === undefined));
  problems.push(...events.problems);
  process.stdout.write(
    `\nImage worker chaos verdict (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n${formatRows(rows)}\n`,
  );
  // Every process's log, for reading a failed run afterwards (tmp/ is git-ignored).
  const logFile = `tmp/chaos/image-worker-${SEED}.jsonl`;
  await writeLives(logFile, fleet.lives);
  log(`process logs: ${logFile}`);
  const failed = rows.filter((r) => r.ok === false);
  if (failed.length === 0) {
    log('PASS: every guarantee held');
    exitCode = 0;
  } else {
    for (const problem of problems) log(`violation: ${problem}`);
    log(`FAIL: ${failed.length} check(s) violated; replay with --seed ${SEED}`);
  }
} catch (error) {
  log(
    `the chaos run itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
} finally {
  await monkey.stop().catch(() => undefined);
  await fleet.stop(5_000).catch(() => undefined);
  await s3.close();
  await dynamodb.close();
  await aws.cleanup();
  await embedded?.stop();
}
process.exit(exitCode);
