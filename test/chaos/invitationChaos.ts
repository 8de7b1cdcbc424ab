/**
 * Chaos run for the invitation pipeline (`npm run chaos:invitations`, `npm run chaos:invitations:ci`).
 *
 * Real invite-api and sms-sender processes (two of each, local SMS provider, one outbox directory per
 * sender process so every SMS names its sender) while clients POST invitations with tokens minted as
 * the tests do, retrying on connection errors and 5xx like a real client. A chaos monkey per service
 * SIGKILLs, SIGTERMs (also during start-up) and restarts them; sms-senders are also SIGSTOPped past
 * their lease. Numbers use the local provider's magic suffixes, so some invitations must fail
 * (invalid, opted out, always throttled), some fail transiently first, and some sends are slow enough
 * to be killed inside the provider call. The verdict: every invitation ends sent/delivered or failed
 * with a reason, one SMS each except in the documented crash window (provider accepted, sender
 * SIGKILLed before the ledger write; counted), no 5xx from a process that was up, nothing stuck.
 *
 *   node test/chaos/invitationChaos.ts [--invitations 200] [--seed N] [--chaos-s 90] [--timeout-s 120]
 *
 * `--timeout-s` is the drain time allowed after the chaos window.
 */
import { randomInt } from 'node:crypto';
import { statSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startEmbeddedAws, type EmbeddedAws } from '@platform/aws-resources/embedded';
import { createIsolatedAws, queueCounts, serializeSharedAws, SHARED_AWS_ENV_VAR } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../services/invite-api/src/auth/mintToken.ts';
import { ChaosMonkey } from './lib/chaosMonkey.ts';
import { planInvitations, postInvitation, type ClientAttempt } from './lib/invitationClients.ts';
import { buildInvitationVerdict, scanAll } from './lib/invitationVerdict.ts';
import { ProcessFleet, writeLives } from './lib/processFleet.ts';
import { seededRandom } from './lib/random.ts';
import { formatRows } from './lib/verdict.ts';

const { values: args } = parseArgs({
  options: {
    invitations: { type: 'string', default: '200' },
    clients: { type: 'string', default: '4' },
    seed: { type: 'string' },
    'chaos-s': { type: 'string', default: '90' },
    'timeout-s': { type: 'string', default: '120' },
  },
});
const INVITATIONS = Number(args.invitations);
const CLIENTS = Number(args.clients);
const SEED = args.seed === undefined ? randomInt(2 ** 31) : Number(args.seed);
const CHAOS_MS = Number(args['chaos-s']) * 1000;
const TIMEOUT_MS = Number(args['timeout-s']) * 1000;
// Short timings (not retry limits: maxReceiveCount stays the queue definition's) so a killed
// process's messages come back within seconds.
const VISIBILITY_SECONDS = 3;
const LEASE_MS = 6000;
const GRACE_MS = 8000;

const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const started = Date.now();
const random = seededRandom(SEED);
log(
  `seed ${SEED}: ${INVITATIONS} invitations from ${CLIENTS} clients; 2 invite-api + 2 sms-sender; chaos up to ${CHAOS_MS / 1000} s`,
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
  queues: {
    smsRequests: { visibilityTimeoutSeconds: VISIBILITY_SECONDS },
    inviteEvents: { visibilityTimeoutSeconds: VISIBILITY_SECONDS },
  },
});
const outboxRoot = await mkdtemp(join(tmpdir(), 'invitation-chaos-'));

const apis = new ProcessFleet({
  name: 'invite-api',
  script: 'services/invite-api/src/main.ts',
  size: 2,
  readyMessage: 'invite-api listening',
  env: {
    ...aws.env,
    OTEL_SERVICE_NAME: 'invite-api',
    PORT: '0',
    JWT_SECRET: LOCAL_DEV_JWT.secret,
    LOG_LEVEL: 'info',
    METRICS_SINK: 'none',
    REFERRAL_BASE_URL: 'https://app.example',
    INVITE_EVENTS_WAIT_SECONDS: '1',
    // Every client is 127.0.0.1 here: the per-address limit would refuse the run itself.
    IP_RATE_LIMIT: '1000000',
    OUTBOX_RELAY_INTERVAL_MS: '500',
    OUTBOX_GRACE_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '5000',
  },
});
const senders = new ProcessFleet({
  name: 'sms-sender',
  script: 'services/sms-sender/src/main.ts',
  size: 2,
  readyMessage: 'sms-sender started',
  env: {
    ...aws.env,
    OTEL_SERVICE_NAME: 'sms-sender',
    SMS_PROVIDER: 'local',
    OUTBOX_PORT: '0',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'none',
    RECEIVE_WAIT_SECONDS: '1',
    VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    HEARTBEAT_INTERVAL_SECONDS: '1',
    LEASE_DURATION_MS: String(LEASE_MS),
    // Below the lease (a config rule): a provider call ends before its lease can be taken over.
    SMS_PROVIDER_TIMEOUT_MS: '4000',
    SMS_LOCAL_SLOW_MS: '2000',
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    BACKOFF_BASE_SECONDS: '1',
    BACKOFF_MAX_SECONDS: '1',
  },
  // Its own outbox directory per process: each SMS then names the process that sent it.
  envFor: async (label, slot) => {
    const dir = join(outboxRoot, label);
    await mkdir(dir, { recursive: true });
    watchOutbox(label, slot, dir);
    return { OUTBOX_DIR: dir };
  },
});

// A restart costs seconds of start-up on a loaded machine: spaced so a service is up most of the time.
const common = { random, startupTermMs: [0, 1200] as [number, number], log };
const apiMonkey = new ChaosMonkey({
  ...common,
  everyMs: [4000, 9000],
  fleet: apis,
  weights: { kill: 2, term: 2, 'term-at-startup': 1, stall: 0 },
  stallMs: [0, 0],
  graceMs: 10_000,
});
const senderMonkey = new ChaosMonkey({
  ...common,
  everyMs: [3000, 7000],
  fleet: senders,
  weights: { kill: 3, term: 2, 'term-at-startup': 1, stall: 2 },
  stallMs: [LEASE_MS + 1500, LEASE_MS + 3500],
  graceMs: GRACE_MS + 4000,
});

// Targeted kills inside the documented crash window: the moment the local provider wrote an SMS to a
// sender's own outbox, SIGKILL that sender (one time in ten), before its ledger write can land.
const triggers = seededRandom(SEED + 2);
const watchers: FSWatcher[] = [];
function watchOutbox(label: string, slot: number, dir: string): void {
  let seen = 0;
  const watcher = watch(dir, () => {
    const life = senders.current(slot);
    if (life?.label !== label) return;
    const size = statSync(join(dir, 'outbox.jsonl'), { throwIfNoEntry: false })?.size ?? 0;
    if (size <= seen) return;
    seen = size;
    if (triggers() < 0.1) senderMonkey.actNow('kill', slot, 'right after the provider accepted an SMS');
  });
  watchers.push(watcher);
}

let exitCode = 1;
try {
  await Promise.all([apis.startAll(), senders.startAll()]);
  for (const fleet of [apis, senders]) {
    for (const slot of fleet.slots) {
      if (await fleet.waitReady(slot, 60_000)) continue;
      const lines = fleet.current(slot)?.lines.slice(-5) ?? [];
      throw new Error(`${fleet.name} in slot ${slot} did not start: ${JSON.stringify(lines)}`);
    }
  }
  const planned = planInvitations(random, INVITATIONS, 8);
  const tokens = await Promise.all(
    [...new Set(planned.map((p) => p.user))].map((user) =>
      mintToken({
        sub: `chaos-user-${SEED}-${user}`,
        name: `Chaos Tester ${user}`,
        secret: LOCAL_DEV_JWT.secret,
        issuer: LOCAL_DEV_JWT.issuer,
        audience: LOCAL_DEV_JWT.audience,
        ttlSeconds: 3600,
      }),
    ),
  );
  const attempts: ClientAttempt[] = [];
  let unanswered = 0;
  const finalAnswers: Array<ClientAttempt | undefined> = planned.map(() => undefined);
  apiMonkey.start();
  senderMonkey.start();
  // The chaos window ends on time, however long the clients take; then the run drains.
  let chaosOn = true;
  let chaosEndedAt = Number.POSITIVE_INFINITY;
  const stopChaos = async (why: string) => {
    if (!chaosOn) return;
    chaosOn = false;
    log(why);
    await Promise.all([apiMonkey.stop(), senderMonkey.stop()]);
    chaosEndedAt = Date.now();
  };
  const chaosTimer = setTimeout(() => void stopChaos('chaos window over'), CHAOS_MS);

  // Clients: each takes the next planned invitation; the think time spreads the posts over most of
  // the chaos window, so restarts keep landing while invitations flow.
  const THINK_MS = Math.max(100, (CHAOS_MS * 0.8 * CLIENTS) / INVITATIONS);
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < planned.length) {
        const index = next++;
        const invitation = planned[index];
        if (invitation === undefined) break;
        const answer = await postInvitation(
          apis,
          invitation,
          tokens[invitation.user] ?? '',
          attempts,
          random,
          {
            idempotencyKey: `chaos-${SEED}-${index}`,
          },
        );
        finalAnswers[index] = answer;
        if (answer === undefined) unanswered += 1;
        await delay(THINK_MS * (0.5 + random()));
      }
    }),
  );
  log(`posted ${planned.length} invitations (${attempts.length} HTTP attempts)`);

  let settledPolls = 0;
  let lastReport = 0;
  for (;;) {
    const items = await scanAll(aws.clients, aws.tables.invitations);
    const invitations = items.filter((i) => i.type === 'invitation');
    const open = invitations.filter((i) => i.status === 'queued').length;
    const outbox = items.filter((i) => i.sk === 'OUTBOX#sms.requested').length;
    if (open === 0) await stopChaos('every invitation posted and ended; chaos off');
    let queued = 0;
    for (const url of [aws.urls.smsRequests, aws.urls.inviteEvents]) {
      const c = await queueCounts(aws.clients.sqs, url);
      queued += c.visible + c.inFlight + c.delayed;
    }
    settledPolls = !chaosOn && open + outbox + queued === 0 ? settledPolls + 1 : 0;
    // Drain time counts from the end of the chaos.
    if (settledPolls >= 2 || Date.now() > chaosEndedAt + TIMEOUT_MS) {
      if (settledPolls < 2) log(`TIMEOUT: not settled ${TIMEOUT_MS / 1000} s after the chaos ended`);
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(
        `${invitations.length - open}/${invitations.length} invitations ended; outbox ${outbox}; on queues ${queued}`,
      );
    }
    await delay(1000);
  }
  clearTimeout(chaosTimer);
  await stopChaos('chaos off');
  await Promise.all([apis.stop(12_000), senders.stop(GRACE_MS + 4000)]);

  const { rows, problems } = await buildInvitationVerdict({
    clients: aws.clients,
    tables: aws.tables,
    queues: [
      { name: 'sms-requests', url: aws.urls.smsRequests, dlq: false },
      { name: 'sms-requests DLQ', url: aws.urls.smsRequestsDlq, dlq: true },
      { name: 'invite-events', url: aws.urls.inviteEvents, dlq: false },
      { name: 'invite-events DLQ', url: aws.urls.inviteEventsDlq, dlq: true },
    ],
    planned,
    attempts,
    unanswered,
    finalAnswers,
    apiLives: apis.lives,
    senderLives: senders.lives,
  });
  process.stdout.write(
    `\nInvitation pipeline chaos verdict (seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n${formatRows(rows)}\n`,
  );
  // Every process's log, for reading a failed run afterwards (tmp/ is git-ignored).
  const logFile = `tmp/chaos/invitations-${SEED}.jsonl`;
  await writeLives(logFile, [...apis.lives, ...senders.lives]);
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
  await Promise.all([apiMonkey.stop(), senderMonkey.stop()]).catch(() => undefined);
  await Promise.all([apis.stop(5_000), senders.stop(5_000)]).catch(() => undefined);
  for (const watcher of watchers) watcher.close();
  await aws.cleanup();
  await embedded?.stop();
  await rm(outboxRoot, { recursive: true, force: true });
}
process.exit(exitCode);
