// Start-up cost of the OTel SDK: time from spawning a process to its "ready" line, for a bare
// Koa + pino + SQS app, with and without `--import @platform/telemetry/register`.
//   node libs/telemetry/bench/startup.ts [runs=15]
// Prints p50/p99 per variant and the ratio. Runs alternate between variants so machine load
// affects both alike. No export endpoint is set: this measures loading and instrumenting.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 15);
const app = fileURLToPath(new URL('fixtures/app.ts', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

function startOnce(withSdk: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  const args = withSdk ? ['--import', '@platform/telemetry/register', app] : [app];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env['PATH'], OTEL_SERVICE_NAME: 'startup-bench' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`app exited with ${code}`));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const bare: number[] = [];
const instrumented: number[] = [];
await startOnce(false); // warm the file system cache for both variants
await startOnce(true);
for (let i = 0; i < runs; i += 1) {
  bare.push(await startOnce(false));
  instrumented.push(await startOnce(true));
}
bare.sort((a, b) => a - b);
instrumented.sort((a, b) => a - b);
const row = (label: string, values: number[]) =>
  `${label.padEnd(22)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p99 ${percentile(values, 99).toFixed(0).padStart(5)} ms`;
console.log(`process start -> ready, ${runs} runs each (node ${process.version}, ${process.arch})`);
console.log(row('without SDK', bare));
console.log(row('with SDK (register)', instrumented));
console.log(
  `ratio (p50 with / without): ${(percentile(instrumented, 50) / percentile(bare, 50)).toFixed(2)}x`,
);
