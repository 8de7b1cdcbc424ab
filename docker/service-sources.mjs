// Build-time step of the Dockerfile's `sources` stage: copies one service's sources and those of the
// workspace libs it depends on (the closure of `@platform/*` entries under "dependencies"; dev
// dependencies such as the test kit or @platform/dev-process stay out), so an image carries only
// the code its service can load.
//
//   node docker/service-sources.mjs <service> <out-dir>      (cwd: the repository root)
/* global process, console */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

function readManifest(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** Folder (relative to `root`) of every workspace lib, by package name. */
function libFolders(root) {
  const folders = new Map();
  for (const name of readdirSync(path.join(root, 'libs'))) {
    const dir = path.join('libs', name);
    if (existsSync(path.join(root, dir, 'package.json')))
      folders.set(readManifest(path.join(root, dir)).name, dir);
  }
  return folders;
}

/** The lib folders `services/<service>` needs at run time, sorted: its workspace dependencies, transitively. */
export function serviceLibs(root, service) {
  const folders = libFolders(root);
  const needed = new Set();
  const pending = [path.join('services', service)];
  while (pending.length > 0) {
    const dir = pending.pop();
    for (const dependency of Object.keys(readManifest(path.join(root, dir)).dependencies ?? {})) {
      const folder = folders.get(dependency);
      if (folder === undefined || needed.has(folder)) continue;
      needed.add(folder);
      pending.push(folder);
    }
  }
  return [...needed].sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [service, out] = process.argv.slice(2);
  if (!service || !out) {
    console.error('usage: node docker/service-sources.mjs <service> <out-dir>');
    process.exit(64);
  }
  const root = process.cwd();
  if (!existsSync(path.join(root, 'services', service, 'package.json'))) {
    console.error(`no service ${service} under services/`);
    process.exit(64);
  }
  const libs = serviceLibs(root, service);
  for (const dir of [path.join('services', service), ...libs]) {
    cpSync(path.join(root, dir), path.join(out, dir), { recursive: true });
  }
  console.log(`${service}: ${libs.join(' ')}`);
}
