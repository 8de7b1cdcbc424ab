// The npm scripts' entry: `node scripts/preflight/run.mjs [--java] <entry.ts> [args...]`.
// Checks that this Node runs TypeScript (and, with --java, that DynamoDB Local can start), then
// runs the entry in this same process, with process.argv as if it had been started directly.
// On a failed check it prints what to do and exits 78 (EX_CONFIG), never a stack trace.
import console from 'node:console';
import process from 'node:process';
// Namespace import: a named import of an API newer than the running Node (enableCompileCache is
// not in Node 20) would fail at link time, before the check below could explain anything.
import * as nodeModule from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { javaProblem, runtimeProblem } from './checks.mjs';

const EX_CONFIG = 78;
const args = process.argv.slice(2);
const needsJava = args[0] === '--java';
const [entry, ...entryArgs] = needsJava ? args.slice(1) : args;

function stop(lines) {
  console.error(['', ...lines.map((line) => `  ${line}`), ''].join('\n'));
  process.exit(EX_CONFIG);
}

if (entry === undefined) stop(['usage: node scripts/preflight/run.mjs [--java] <entry.ts> [args...]']);
const runtime = runtimeProblem(process.version, process.execPath);
if (runtime !== undefined) stop(runtime);
if (needsJava) {
  const java = javaProblem();
  if (java !== undefined) stop(java);
}

// V8's code cache on disk for this process and every child (services, ava workers inherit the
// variable): the SDK, the AWS SDK and the sources are thousands of modules, and a warm cache cuts
// the CPU time of loading them by ~10-20%. Only here, for local runs: a production pod does not
// set it, so nothing writes to its small /tmp. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
process.env.NODE_COMPILE_CACHE ??= resolve(
  import.meta.dirname,
  '../../node_modules/.cache/node-compile-cache',
);
nodeModule.enableCompileCache(process.env.NODE_COMPILE_CACHE);

const entryPath = resolve(entry);
process.argv = [process.argv[0] ?? process.execPath, entryPath, ...entryArgs];
await import(pathToFileURL(entryPath).href);
