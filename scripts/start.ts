/**
 * `npm start`, the embedded default: emulators (fauxqs for SQS/SNS/S3, DynamoDB Local), provisioning
 * with ENV_NAME=local, then every service that exists as child processes with prefixed, readable logs.
 * Ctrl-C or SIGTERM stops the services (SIGTERM, then SIGKILL after a grace period) and the emulators,
 * and exits 0 with no process left behind.
 *
 * Options: --ports=auto (free ports instead of 4566/8000), --data-dir=<dir> (default .data).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createAwsClients,
  defineResources,
  formatReport,
  provision,
  resourceEnv,
} from '@platform/aws-resources';
import { startEmbeddedAws, type EmbeddedAws } from '@platform/aws-resources/embedded';
import { freePort, isPortFree, spawnBoundChild, type DevContext } from '@platform/dev-process';
import { formatLogLine } from './lib/formatLogLine.ts';
import { discoverServices, type ServicePlan } from './lib/services.ts';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';

const STOP_GRACE_MS = 10_000; // services drain in-flight work on SIGTERM; SIGKILL loses nothing either
const READY_TIMEOUT_MS = 60_000; // ~1-3 s each normally; a loaded 2-core CI machine is much slower
const root = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: { ports: { type: 'string', default: 'fixed' }, 'data-dir': { type: 'string', default: '.data' } },
});
const dataDir = resolve(root, flags['data-dir']);
const color = process.stdout.isTTY
  ? (code: number, s: string) => `\x1b[${code}m${s}\x1b[0m`
  : (_: number, s: string) => s;
const startedAt = performance.now();

function say(line: string): void {
  process.stdout.write(`${color(1, '[platform]')} ${line}\n`);
}
function shout(line: string): void {
  process.stderr.write(`${color(31, `[platform] ${line}`)}\n`);
}

/** A well-known port when free (stable URLs for a person), else any free port. */
async function preferredPort(port: number): Promise<number> {
  if (flags.ports === 'auto') return 0;
  return (await isPortFree(port)) && (await isPortFree(port, '0.0.0.0')) ? port : 0;
}

interface Running {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
}
const running: Running[] = [];
let stopping = false;
let aws: EmbeddedAws | undefined;

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${reason}: stopping ${running.length} service process(es) and the emulators…`);
  for (const r of running)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const r of running) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        shout(`${r.label} did not stop within ${STOP_GRACE_MS} ms; killing it`);
        r.child.kill('SIGKILL');
      }
    }
  }, STOP_GRACE_MS);
  await Promise.all(running.map((r) => r.exited));
  clearTimeout(killer);
  await aws?.stop();
  say('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('Ctrl-C'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const palette = [36, 35, 33, 32, 34, 96, 95];
function startProcess(
  plan: ServicePlan,
  replica: number,
  env: Record<string, string>,
  register: string | undefined,
): Running {
  const label = plan.replicas > 1 ? `${plan.name}#${replica}` : plan.name;
  const tint = palette[running.length % palette.length] ?? 36;
  const args = [...(register === undefined ? [] : ['--import', register]), plan.entry];
  // Own process group (detached): a terminal Ctrl-C reaches only this supervisor, which then stops the
  // services with SIGTERM so they can drain. The bound child dies with us even if we are SIGKILLed.
  const child = spawnBoundChild(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = color(tint, `[${label}]`.padEnd(18));
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      const formatted = formatLogLine(line);
      const text =
        formatted.level === 'ERROR' || formatted.level === 'FATAL'
          ? color(31, formatted.text)
          : formatted.text;
      process.stdout.write(`${prefix} ${text}\n`);
    });
  }
  const exited = new Promise<void>((done) =>
    child.once('close', (code, signal) => {
      if (!stopping)
        shout(
          `✖ ${label} (pid ${child.pid ?? '?'}) CRASHED: exit code ${code ?? 'none'}, signal ${signal ?? 'none'}. It is not restarted; see its log above.`,
        );
      done();
    }),
  );
  const entry = { label, child, exited };
  running.push(entry);
  return entry;
}

async function waitReady(label: string, port: number): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  shout(`${label} did not report ready on :${port}/readyz within ${READY_TIMEOUT_MS} ms`);
  return false;
}

try {
  const envName = process.env.ENV_NAME ?? 'local';
  aws = await startEmbeddedAws({
    ports: { fauxqs: await preferredPort(4566), dynamodb: await preferredPort(8000) },
    s3Dir: resolve(dataDir, 's3'),
  });
  say(
    `emulators up in ${aws.startupMs.total} ms (fauxqs ${aws.startupMs.fauxqs} ms, DynamoDB Local ${aws.startupMs.dynamodb} ms)`,
  );
  if (stopping) await new Promise(() => {}); // Ctrl-C during start-up: shutdown() exits

  const clients = createAwsClients(aws.env);
  const provisioned = await provision(clients, defineResources({ envName }), { log: () => {} });
  say(`provisioned "${envName}":\n${formatReport(provisioned.report)}`);

  const sharedEnv: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    METRICS_SINK: process.env.METRICS_SINK ?? 'none', // EMF on stdout would drown the terminal
    ...aws.env,
    ...resourceEnv(provisioned),
  };
  // The services' preload: early signal handlers, then the telemetry preload (as in the Dockerfile).
  const registerFile = resolve(root, 'libs/service-runtime/src/register.ts');
  const register = existsSync(registerFile) ? '@platform/service-runtime/register' : undefined;
  const plans = await discoverServices(root);
  const readiness: Promise<{ label: string; port: number; ready: boolean }>[] = [];
  const afterStarts: (() => Promise<void>)[] = [];
  const urls: string[] = [];
  // The API port is chosen up front so every dev hook can print exact URLs.
  const requestedApiPort = Number(process.env.INVITE_API_PORT ?? (await preferredPort(3000)));
  const apiPort = requestedApiPort > 0 ? requestedApiPort : await freePort();
  for (const plan of plans) {
    const ctx: DevContext = {
      env: sharedEnv,
      resources: provisioned,
      clients,
      endpoints: aws.endpoints,
      print: (line) => process.stdout.write(`${color(1, `[${plan.name}:dev]`)} ${line}\n`),
      dataDir,
      urls: { inviteApi: `http://127.0.0.1:${apiPort}` },
    };
    const devEnv = (await plan.dev?.env?.(ctx)) ?? {};
    for (let replica = 1; replica <= plan.replicas; replica++) {
      const healthPort = await freePort();
      const env: Record<string, string> = {
        ...sharedEnv,
        OTEL_SERVICE_NAME: plan.name,
        HEALTH_PORT: String(healthPort),
        ...devEnv,
      };
      let readyPort = healthPort;
      if (plan.name === 'invite-api') {
        env.PORT = String(apiPort);
        readyPort = apiPort;
        urls.push(
          `invite-api: http://127.0.0.1:${apiPort}  (invite page: open it in a browser; API: /api/invitations, docs: /docs)`,
        );
      }
      const r = startProcess(plan, replica, env, register);
      readiness.push(
        waitReady(r.label, readyPort).then((ready) => ({ label: r.label, port: readyPort, ready })),
      );
    }
    const dev = plan.dev;
    if (dev?.afterStart !== undefined) afterStarts.push(async () => dev.afterStart?.(ctx));
  }

  const s3Objects = resolve(dataDir, 's3', 'buckets', provisioned.bucket.name, 'objects');
  const lines = [
    color(
      32,
      `Platform up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s — Ctrl-C stops everything.`,
    ),
    `  SQS/SNS/S3 (fauxqs): ${aws.endpoints.sqs}    DynamoDB Local: ${aws.endpoints.dynamodb}    region ${aws.region}`,
    ...Object.values(provisioned.queues).map((q) => `  queue  ${q.url}  (DLQ ${q.dlqName})`),
    `  tables ${Object.values(provisioned.tables)
      .map((t) => t.name)
      .join(', ')}`,
    `  bucket ${provisioned.bucket.name}: objects on disk under ${s3Objects}/<key>.data (raw bytes: a .png.data file is the PNG)`,
    ...urls.map((u) => `  ${u}`),
    `  services: ${running.length === 0 ? 'none yet (no services/<name>/src/main.ts)' : running.map((r) => `${r.label} (pid ${r.child.pid ?? '?'})`).join(', ')}`,
    `  AWS env for your own tools: ${Object.entries(aws.env)
      .filter(([k]) => k.startsWith('AWS_ENDPOINT'))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  ];
  say(`\n${lines.join('\n')}`);
  const states = await Promise.all(readiness);
  const notReady = states.filter((st) => !st.ready).map((st) => st.label);
  say(
    notReady.length === 0
      ? color(
          32,
          `All ${states.length} service process(es) ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s.`,
        )
      : color(31, `Not ready: ${notReady.join(', ')} (see their logs above).`),
  );
  for (const run of afterStarts) {
    await run().catch((err: unknown) =>
      shout(`dev afterStart failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
} catch (error) {
  shout(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  for (const r of running) r.child.kill('SIGKILL');
  await aws?.stop();
  process.exit(1);
}
