import { runService, type IsolatedAws, type RunningService } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import { baseTestEnv } from './harness.ts';

export const INVITE_API_ENTRY = 'services/invite-api/src/main.ts';

/** invite-api as a real child process (main.ts), on a free port read back from its start-up log. */
export async function startInviteApiProcess(
  t: ExecutionContext,
  aws: IsolatedAws,
  env: Record<string, string> = {},
): Promise<{ service: RunningService; baseUrl: string }> {
  const service = runService(t, {
    name: 'invite-api',
    entry: INVITE_API_ENTRY,
    env: { ...baseTestEnv(aws), OTEL_SERVICE_NAME: 'invite-api', PORT: '0', ...env },
  });
  const listening = await service.waitForLog((line) => line.json?.msg === 'invite-api listening', 30_000);
  const port = Number(listening.json?.port);
  return { service, baseUrl: `http://127.0.0.1:${port}` };
}
