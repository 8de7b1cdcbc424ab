/**
 * BENCH ONLY, variant "render-only": the same specs through the same render pool as the worker
 * (RENDER_THREADS threads, WORKER_CONCURRENCY at once), no queue, no ledger, no S3. Waits for SIGUSR2
 * (the probe marks the window at the same signal), renders, prints one JSON line of per-job finish
 * times, exits.
 */
import { readFileSync } from 'node:fs';
import type { ImageJobRequestedV1 } from '@platform/contracts';
import { createRenderPool } from '../../services/image-worker/src/render/RenderPool.ts';
import { DEFAULT_RENDER_LIMITS } from '../../services/image-worker/src/render/limits.ts';
import { prepareRenderSpec } from '../../services/image-worker/src/render/spec.ts';

const jobs = JSON.parse(readFileSync(process.env.BENCH_JOBS_FILE ?? '', 'utf8')) as ImageJobRequestedV1[];
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? '4');
const pool = createRenderPool(
  { metrics: { record: () => {} } },
  { threads: Number(process.env.RENDER_THREADS ?? '2') },
);
await new Promise<void>((resolve) => {
  process.once('SIGUSR2', () => resolve());
  process.stdout.write('{"msg":"render-only ready"}\n');
});
const doneAt: Record<string, number> = {};
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await pool.render(prepareRenderSpec(job, DEFAULT_RENDER_LIMITS));
      doneAt[job.jobId] = Date.now();
    }
  }),
);
process.stdout.write(`${JSON.stringify({ msg: 'render-only done', doneAt })}\n`);
await pool.close();
process.exit(0);
