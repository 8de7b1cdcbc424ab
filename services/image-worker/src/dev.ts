// How `npm start` (scripts/start.ts) runs the image worker locally: two replicas as separate
// processes, then a small demo batch: each job's id, state and a presigned URL, once rendered.
import { setTimeout as delay } from 'node:timers/promises';
import { getJob, resultUrl, submitImageJobs } from '@platform/image-jobs';
import type { DevContext, DevService } from '@platform/dev-process';
import { DEMO_TEMPLATES, demoJob } from './demo.ts';

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
    const { queues, tables } = ctx.resources;
    const deps = { ddb: ctx.clients.documentClient, sqs: ctx.clients.sqs, s3: ctx.clients.s3 };
    const target = { tableName: tables.imageJobs.name, queueUrl: queues.imageJobs.url };
    // Round-robin over the templates; each template's own index varies its layout, style and format.
    const jobs = Array.from({ length: count }, (_, i) =>
      demoJob(DEMO_TEMPLATES[i % DEMO_TEMPLATES.length] ?? 'card', Math.floor(i / DEMO_TEMPLATES.length), {
        requestedBy: 'npm-start',
        correlationId: 'npm-start-demo',
      }),
    );
    const submitted = await submitImageJobs(deps, jobs, target);
    for (const failed of submitted.filter((r) => !r.ok))
      if (!failed.ok) ctx.print(`demo job ${failed.jobId} not submitted: ${failed.error.message}`);
    ctx.print(`submitted ${jobs.length} demo jobs (${DEMO_TEMPLATES.join(', ')}); waiting for the images…`);

    const pending = new Set(submitted.filter((r) => r.ok).map((r) => r.jobId));
    const deadline = Date.now() + DEMO_WAIT_MS;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const jobId of [...pending]) {
        const job = await getJob(deps, jobId, target);
        if (job === undefined || job.state === 'QUEUED' || job.state === 'PROCESSING') continue;
        pending.delete(jobId);
        const template = (job.request?.template ?? '?').padEnd(8);
        if (job.state !== 'COMPLETED') {
          ctx.print(
            `${template} ${jobId}  ${job.state}  ${job.lastError?.code ?? ''} ${job.lastError?.message ?? ''}`,
          );
          continue;
        }
        // A URL anyone can fetch (curl, a browser) for an hour, no AWS credentials needed.
        const { url } = await resultUrl(deps, jobId, { ...target, expiresInSeconds: 3600 });
        ctx.print(`${template} ${jobId}  COMPLETED  ${url}`);
      }
      if (pending.size > 0) await delay(250);
    }
    if (pending.size > 0)
      ctx.print(`still rendering after ${DEMO_WAIT_MS / 1000} s: ${[...pending].join(', ')}`);
    ctx.print('download one: curl -o demo.png "<url above>"');
    ctx.print(
      'more: npm run jobs -- submit --count 20 --template fractal | status <jobId> | url <jobId> | cancel <jobId> | list --status FAILED | dlq list',
    );
  },
};
