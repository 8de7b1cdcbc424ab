/**
 * Chaos run for the image worker (`npm run chaos:worker`, `npm run chaos:worker:ci` at reduced scale).
 *
 * Several worker processes consume one queue while a random one is SIGKILLed and restarted every few
 * seconds; the job mix has duplicate submissions, poison and transiently failing jobs. At the end it
 * prints a verdict table and exits 1 on any violation of the worker's guarantees:
 * every valid job COMPLETED exactly once, one object per job whose sha256 is the ledger's, one upload
 * per job, no two workers ever holding a job at once, exactly the poison in the DLQ, nothing left.
 *
 *   node test/chaos/imageWorkerChaos.ts [--jobs 300] [--workers 3] [--seed N] [--timeout-s 600]
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
} from '@platform/testkit';
import { planMessages } from './lib/jobMix.ts';
import { seededRandom } from './lib/random.ts';
import { buildVerdict, formatRows, scanLedger } from './lib/verdict.ts';
import { WorkerFleet } from './lib/workerFleet.ts';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '300' },
    workers: { type: 'string', default: '3' },
    seed: { type: 'string' },
    'kill-min-ms': { type: 'string', default: '2000' },
    'kill-max-ms': { type: 'string', default: '5000' },
    'chaos-s': { type: 'string', default: '120' },
    'timeout-s': { type: 'string', default: '600' },
  },
});
const JOBS = Number(args.jobs);
const WORKERS = Number(args.workers);
const SEED = args.seed === undefined ? randomInt(2 ** 31) : Number(args.seed);
const KILL_MIN_MS = Number(args['kill-min-ms']);
const KILL_MAX_MS = Number(args['kill-max-ms']);
// Kills stop when every valid job is done or this window has passed; the rest of the run drains.
const CHAOS_MS = Number(args['chaos-s']) * 1000;
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
// Short timings so a killed worker's jobs come back within seconds, as in the process tests.
const VISIBILITY_SECONDS = 4;
// High enough that kills (a killed attempt, then a deferral until its lease expires) and flaky jobs
// never exhaust a valid job's receives; poison never needs it (dead-lettered on its first receive).
const MAX_RECEIVE_COUNT = 30;

const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const started = Date.now();
const random = seededRandom(SEED);
log(
  `seed ${SEED}: ${JOBS} jobs, ${WORKERS} workers, a SIGKILL every ${KILL_MIN_MS}-${KILL_MAX_MS} ms for up to ${CHAOS_MS / 1000} s`,
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
  queues: { imageJobs: { visibilityTimeoutSeconds: VISIBILITY_SECONDS, maxReceiveCount: MAX_RECEIVE_COUNT } },
});
// Every S3 request of every worker goes through this counter: it proves one upload per job.
const s3 = await startRequestCounter({ target: aws.endpoints.s3 });

const fleet = new WorkerFleet({
  size: WORKERS,
  random,
  env: {
    ...aws.env,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    OTEL_SERVICE_NAME: 'image-worker',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'none',
    RECEIVE_WAIT_SECONDS: '1',
    VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    HEARTBEAT_INTERVAL_SECONDS: '1',
    LEASE_DURATION_MS: String(VISIBILITY_SECONDS * 1000),
    RENDER_THREADS: '1',
    WORKER_CONCURRENCY: '4',
    BACKOFF_BASE_SECONDS: '1',
    BACKOFF_MAX_SECONDS: '2',
    SHUTDOWN_GRACE_MS: '15000',
    IMAGE_WORKER_FAULT_INJECTION: 'true',
  },
});

let exitCode = 1;
try {
  const planned = planMessages(random, `chaos${SEED.toString(36)}`, {
    jobs: JOBS,
    duplicateRate: 0.05,
    poisonRate: 0.03,
    flakyRate: 0.05,
  });
  const goodJobs = new Set(planned.filter((m) => m.kind !== 'poison').map((m) => m.jobId ?? ''));
  const poisonCount = planned.filter((m) => m.kind === 'poison').length;

  // Submission runs alongside the kills: batches of 10, a few per second.
  const chaosStarted = Date.now();
  const submitting = (async () => {
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
        throw new Error(
          `SendMessageBatch failed for ${Failed.length} messages: ${JSON.stringify(Failed[0])}`,
        );
      await delay(150);
    }
  })();

  let done = false;
  const killing = (async () => {
    while (!done && Date.now() - chaosStarted < CHAOS_MS) {
      await delay(KILL_MIN_MS + random() * (KILL_MAX_MS - KILL_MIN_MS));
      if (done) break;
      const killed = await fleet.killRandom();
      log(`SIGKILL worker pid ${killed.pid} (slot ${killed.slot}); restarted (${fleet.kills} kills)`);
    }
    if (!done) log(`chaos window of ${CHAOS_MS / 1000} s over; no more kills, draining`);
  })();

  await submitting;
  log(`submitted ${planned.length} messages (${goodJobs.size} valid jobs, ${poisonCount} poison)`);
  const deadline = chaosStarted + TIMEOUT_MS;
  let lastReport = 0;
  for (;;) {
    const ledger = await scanLedger(aws.clients, aws.tables.imageJobs);
    const completed = [...goodJobs].filter((id) => ledger.get(id)?.status === 'COMPLETED').length;
    const main = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
    const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
    const settled =
      completed === goodJobs.size &&
      main.visible + main.inFlight + main.delayed === 0 &&
      dlq.visible + dlq.inFlight >= poisonCount;
    if (settled || Date.now() > deadline) {
      if (!settled) log(`TIMEOUT after ${TIMEOUT_MS / 1000} s`);
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(
        `${completed}/${goodJobs.size} completed; queue ${JSON.stringify(main)}; DLQ ${dlq.visible + dlq.inFlight}/${poisonCount}`,
      );
    }
    await delay(1000);
  }
  done = true;
  await killing;
  await fleet.stop(20_000);

  const { rows, problems } = await buildVerdict({
    clients: aws.clients,
    table: aws.tables.imageJobs,
    bucket: aws.bucket,
    queueUrl: aws.urls.imageJobs,
    dlqUrl: aws.urls.imageJobsDlq,
    planned,
    lives: fleet.lives,
    s3,
  });
  process.stdout.write(
    `\nImage worker chaos verdict (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n${formatRows(rows)}\n`,
  );
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
  await fleet.stop(5_000).catch(() => undefined);
  await s3.close();
  await aws.cleanup();
  await embedded?.stop();
}
process.exit(exitCode);
