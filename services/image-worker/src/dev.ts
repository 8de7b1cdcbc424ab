// How `npm start` (scripts/start.ts) runs the image worker locally: two replicas as separate
// processes, then a small demo batch whose images are printed, in S3 and on disk, once rendered.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { objectPathOnDisk } from '@platform/aws-resources/embedded';
import { createLeaseLedger } from '@platform/reliable-consumer';
import type { DevContext, DevService } from '@platform/dev-process';
import { DEMO_TEMPLATES, demoJob } from './demo.ts';
import { submitImageJob } from './jobs/submit.ts';

const DEMO_WAIT_MS = 120_000; // a loaded 2-core laptop renders the batch in seconds; this is a ceiling

export const devService: DevService = {
  replicas: 2,

  env(ctx: DevContext) {
    // Two replicas share the machine with everything else: one render thread each. A variable set
    // in the shell wins (e.g. RENDER_THREADS=2 npm start).
    return {
      RENDER_THREADS: ctx.env.RENDER_THREADS ?? '1',
      WORKER_CONCURRENCY: ctx.env.WORKER_CONCURRENCY ?? '2',
      VISIBILITY_TIMEOUT_SECONDS: ctx.env.VISIBILITY_TIMEOUT_SECONDS ?? '30',
      HEARTBEAT_INTERVAL_SECONDS: ctx.env.HEARTBEAT_INTERVAL_SECONDS ?? '10',
      LEASE_DURATION_MS: ctx.env.LEASE_DURATION_MS ?? '30000',
    };
  },

  async afterStart(ctx: DevContext) {
    const count = Number(ctx.env.IMAGE_WORKER_DEMO_JOBS ?? 6);
    if (!Number.isInteger(count) || count <= 0) return;
    const { queues, tables, bucket } = ctx.resources;
    // Round-robin over the templates; each template's own index varies its layout, style and format.
    const jobs = Array.from({ length: count }, (_, i) =>
      demoJob(DEMO_TEMPLATES[i % DEMO_TEMPLATES.length] ?? 'card', Math.floor(i / DEMO_TEMPLATES.length), {
        requestedBy: 'npm-start',
      }),
    );
    for (const job of jobs) await submitImageJob(ctx.clients.sqs, queues.imageJobs.url, job);
    ctx.print(`submitted ${jobs.length} demo jobs (${DEMO_TEMPLATES.join(', ')}); waiting for the images…`);

    const ledger = createLeaseLedger(
      { ddb: ctx.clients.documentClient },
      { tableName: tables.imageJobs.name, keyName: 'jobId', leaseDurationMs: 60_000 },
    );
    const s3Dir = join(ctx.dataDir, 's3');
    const pending = new Set(jobs.map((j) => j.jobId));
    const deadline = Date.now() + DEMO_WAIT_MS;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const jobId of [...pending]) {
        const record = await ledger.get(jobId);
        if (record?.status !== 'COMPLETED' && record?.status !== 'FAILED') continue;
        pending.delete(jobId);
        const key = typeof record.attributes.key === 'string' ? record.attributes.key : '';
        ctx.print(
          record.status === 'COMPLETED'
            ? `${String(record.attributes.template).padEnd(8)} ${jobId}: ${String(record.attributes.s3Uri)}  on disk: ${objectPathOnDisk(s3Dir, bucket.name, key)}`
            : `${jobId} FAILED: ${record.lastError?.code ?? '?'} ${record.lastError?.message ?? ''}`,
        );
      }
      if (pending.size > 0) await delay(250);
    }
    if (pending.size > 0)
      ctx.print(`still rendering after ${DEMO_WAIT_MS / 1000} s: ${[...pending].join(', ')}`);
    ctx.print(
      'more: npm run jobs -- submit --count 20 --template fractal | status <jobId> | get <jobId> -o out.png | dlq list',
    );
  },
};
