// The npm scripts' preflight (scripts/preflight): which Node runs the .ts sources, which `java`
// runs DynamoDB Local, and what a person is told otherwise: a message and exit 78, never a stack.
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import test from 'ava';

interface Checks {
  runsTypeScript(version: string): boolean;
  runtimeProblem(version: string, execPath: string): string[] | undefined;
  javaMajor(output: string): number | undefined;
  javaProblem(
    run: () => { status: number | null; stdout?: string; stderr?: string; error?: Error },
  ): string[] | undefined;
  JAVA_PACKAGE: string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUN = join(ROOT, 'scripts', 'preflight', 'run.mjs');
const checks = (await import(pathToFileURL(join(ROOT, 'scripts', 'preflight', 'checks.mjs')).href)) as Checks;

test('Node versions that run .ts files without flags', (t) => {
  for (const version of ['v24.21.0', 'v25.0.0', 'v22.18.0', 'v23.6.0'])
    t.true(checks.runsTypeScript(version), version);
  for (const version of ['v20.20.2', 'v22.12.0', 'v22.17.1', 'v23.5.0', 'v18.20.0'])
    t.false(checks.runsTypeScript(version), version);
});

test('the runtime message names the node it found and tells to run npm ci', (t) => {
  t.is(checks.runtimeProblem('v24.21.0', '/x/node'), undefined);
  const lines = checks.runtimeProblem('v20.20.2', '/usr/bin/node')?.join('\n') ?? '';
  t.regex(lines, /v20\.20\.2 \(\/usr\/bin\/node\)/);
  t.regex(lines, /npm ci/);
  t.regex(lines, /Node 24/);
});

test('java -version output of the usual vendors', (t) => {
  t.is(checks.javaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment'), 17);
  t.is(checks.javaMajor('openjdk version "21" 2023-09-19'), 21);
  t.is(checks.javaMajor('java version "1.8.0_402"'), 8);
  t.is(checks.javaMajor('openjdk version "11.0.22" 2024-01-16'), 11);
  t.is(checks.javaMajor('no version here'), undefined);
});

test('javaProblem: missing, too old and unknown say which Debian package to install; 17+ passes', (t) => {
  const missing = checks.javaProblem(() => ({ status: null, error: new Error('spawnSync java ENOENT') }));
  const old = checks.javaProblem(() => ({ status: 0, stderr: 'openjdk version "11.0.22" 2024-01-16' }));
  const unknown = checks.javaProblem(() => ({ status: 0, stderr: 'something else' }));
  for (const lines of [missing, old, unknown]) {
    t.regex(lines?.join('\n') ?? '', /apt-get install -y openjdk-17-jre-headless/);
  }
  t.regex(missing?.join('\n') ?? '', /no `java` on PATH/);
  t.regex(old?.join('\n') ?? '', /version 11/);
  t.is(
    checks.javaProblem(() => ({ status: 0, stderr: 'openjdk version "17.0.15" 2025-04-15' })),
    undefined,
  );
  t.is(checks.JAVA_PACKAGE, 'openjdk-17-jre-headless');
});

/** Runs the launcher as npm does, with only `dirs` (and this Node's directory) on PATH. */
function runLauncher(dirs: string[], args: string[]) {
  return spawnSync(process.execPath, [RUN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: [...dirs, dirname(process.execPath)].join(':') },
    timeout: 60_000,
  });
}

test('npm start/test with an old java on PATH: exit 78, the package to install, no stack trace', async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'preflight-java-'));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  await writeFile(join(bin, 'java'), '#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n');
  await chmod(join(bin, 'java'), 0o755);
  const result = runLauncher([bin], ['--java', 'scripts/start.ts']);
  t.is(result.status, 78, result.stderr);
  t.regex(result.stderr, /sudo apt-get install -y openjdk-17-jre-headless/);
  t.notRegex(result.stderr, /^\s+at /m);
  t.is(result.stdout, '', 'the entry never started');
});

test('without any java on PATH the same message says there is none', (t) => {
  const result = runLauncher(['/nonexistent'], ['--java', 'scripts/test.ts']);
  t.is(result.status, 78, result.stderr);
  t.regex(result.stderr, /no `java` on PATH/);
  t.regex(result.stderr, /openjdk-17-jre-headless/);
});

test('a passing preflight runs the entry in the same process with its own arguments', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'preflight-entry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const entry = join(dir, 'entry.ts');
  await writeFile(
    entry,
    'const message: string = JSON.stringify({ argv: process.argv.slice(1) });\nconsole.log(message);\n',
  );
  const result = runLauncher([], [entry, '--flag', 'value']);
  t.is(result.status, 0, result.stderr);
  const printed = JSON.parse(result.stdout) as { argv: string[] };
  t.deepEqual(printed.argv, [entry, '--flag', 'value']);
});
