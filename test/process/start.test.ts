// Process-level test of `npm start`: the real supervisor, emulators and services, stopped with Ctrl-C.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, runService, waitFor } from '@platform/testkit';
import test from 'ava';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

test('npm start prints its summary, and Ctrl-C exits 0 leaving no process behind', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'start-test-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const start = runService(t, {
    name: 'npm-start',
    entry: 'scripts/start.ts',
    args: ['--ports=auto', `--data-dir=${dataDir}`],
    env: {},
    telemetry: false,
  });
  // Generous: DynamoDB Local's JVM takes seconds alone, far more on a loaded CI machine.
  await start.waitForLog((l) => l.text.includes('Platform up in'), 90_000);
  t.true(start.logs().some((l) => /created table\s+local-image-jobs/.test(l.text)));
  t.true(start.logs().some((l) => l.text.includes('AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:')));

  if (start.pid === undefined) return t.fail('no pid');
  const descendants = childrenOf(start.pid);
  t.true(descendants.length >= 1, 'at least DynamoDB Local runs as a child');

  const exit = await start.kill('SIGINT');
  t.deepEqual(exit, { code: 0, signal: null });
  t.true(start.logs().some((l) => l.text.includes('[platform] stopped.')));
  await waitFor(() => descendants.every((pid) => !isProcessAlive(pid)), {
    description: `no child of npm start alive (pids ${descendants.join(', ')})`,
    timeoutMs: 5_000,
  });
  t.pass();
});
