import { runService, type IsolatedAws, type RunningService } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import { workerEnv } from './env.ts';

export const WORKER_ENTRY = 'services/image-worker/src/main.ts';

/** Starts `src/main.ts` as a real child process and waits until it polls. */
export async function startWorkerProcess(
  t: ExecutionContext,
  aws: IsolatedAws,
  name: string,
  overrides: Record<string, string> = {},
): Promise<RunningService & { healthPort: number }> {
  const service = runService(t, { name, entry: WORKER_ENTRY, env: workerEnv(aws, overrides) });
  const started = await service.waitForLog((line) => line.json?.msg === 'image worker started', 30_000);
  return Object.assign(service, { healthPort: Number(started.json?.healthPort) });
}

/** Log lines of one message, parsed, from a worker's captured output. */
export function jsonLines(
  service: RunningService,
  msg: string,
  jobId?: string,
): Array<Record<string, unknown>> {
  return service
    .logs()
    .flatMap((line) => (line.json === undefined ? [] : [line.json]))
    .filter((json) => json.msg === msg && (jobId === undefined || json.jobId === jobId));
}
