import {
  ATTENTION_STATES,
  cancelJob,
  JobNotCompletedError,
  JobNotFoundError,
  JobNotResubmittableError,
  listJobs,
  MAX_URL_EXPIRES_SECONDS,
  resubmitImageJob,
  resultUrl,
  type AttentionState,
} from '@platform/image-jobs';
import type { CliEnvironment } from './environment.ts';
import { CliError, EXIT, table, type Output } from './output.ts';
import { jobOf } from './status.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `900`, `90s`, `15m`, `2h`, `7d` -> seconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match === null ? Number.NaN : Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new CliError(
      `${what} must be a duration such as 90s, 15m, 2h or 7d, received ${JSON.stringify(text)}`,
      {
        exitCode: EXIT.usage,
      },
    );
  }
  return seconds;
}

/** An ISO time, or a duration back from now (`24h` = since 24 hours ago). */
export function parseSince(text: string, now: number): number {
  if (/^\d+[smhd]?$/.test(text.trim())) return now - parseDuration(text, '--since') * 1000;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new CliError(
      `--since must be an ISO time or a duration such as 24h or 7d, received ${JSON.stringify(text)}`,
      {
        exitCode: EXIT.usage,
      },
    );
  return ms;
}

function libraryError(error: unknown): never {
  if (error instanceof JobNotFoundError)
    throw new CliError(error.message, { exitCode: EXIT.notFound, cause: error });
  if (error instanceof JobNotCompletedError || error instanceof JobNotResubmittableError)
    throw new CliError(error.message, { exitCode: EXIT.conflict, cause: error });
  throw error;
}

export async function listCommand(
  env: CliEnvironment,
  options: { status: string; since?: string; limit: number; json?: boolean },
  out: Output,
): Promise<void> {
  const status = options.status.toUpperCase();
  if (!(ATTENTION_STATES as readonly string[]).includes(status)) {
    throw new CliError(
      `--status must be ${ATTENTION_STATES.join(', ')} (the states kept in the index; use \`status <jobId>\` for one job), received ${options.status}`,
      { exitCode: EXIT.usage },
    );
  }
  const now = Date.now();
  const since = options.since === undefined ? undefined : parseSince(options.since, now);
  const { jobs, truncated } = await listJobs(env.jobs.deps, {
    ...env.jobs.target,
    status: status as AttentionState,
    limit: options.limit,
    until: now,
    ...(since === undefined ? {} : { since }),
  });
  if (options.json === true) {
    out.json(jobs);
    return;
  }
  if (jobs.length === 0) {
    out.line(
      `no ${status} jobs ${options.since === undefined ? 'in the last 7 days' : `since ${new Date(since ?? now).toISOString()}`}`,
    );
    return;
  }
  const when = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
  out.line(
    table(
      ['jobId', 'when', 'attempts', 'reason'],
      jobs.map((job) => [
        job.jobId,
        when(job.failedAt ?? job.cancelledAt ?? job.updatedAt),
        String(job.attempts),
        job.state === 'CANCELLED'
          ? `cancelled: ${job.cancelReason ?? '-'}`.slice(0, 80)
          : job.lastError === undefined
            ? '-'
            : `${job.lastError.code}: ${job.lastError.message}`.slice(0, 80),
      ]),
    ),
  );
  out.line(
    `${jobs.length} ${status} job(s)${truncated ? ` (first ${options.limit}; --limit for more)` : ''}`,
  );
}

export async function urlCommand(
  env: CliEnvironment,
  jobId: string,
  options: { expires: string },
  out: Output,
): Promise<void> {
  const seconds = parseDuration(options.expires, '--expires');
  if (seconds > MAX_URL_EXPIRES_SECONDS)
    throw new CliError(`--expires may be at most 7d (the SigV4 limit), received ${options.expires}`, {
      exitCode: EXIT.usage,
    });
  try {
    const { url } = await resultUrl(env.jobs.deps, jobId, { ...env.jobs.target, expiresInSeconds: seconds });
    // The URL alone on stdout, so `curl -o out.png "$(npm run -s jobs -- url <id>)"` works.
    out.line(url);
  } catch (error) {
    libraryError(error);
  }
}

export async function cancelCommand(
  env: CliEnvironment,
  jobId: string,
  options: { reason?: string },
  out: Output,
): Promise<void> {
  let result;
  try {
    result = await cancelJob(env.jobs.deps, jobId, { ...env.jobs.target, reason: options.reason ?? 'cli' });
  } catch (error) {
    libraryError(error);
  }
  switch (result.kind) {
    case 'cancelled':
      out.line(
        result.previous === 'PROCESSING'
          ? `cancelled ${jobId} while PROCESSING: its worker stops at its next heartbeat and records nothing`
          : `cancelled ${jobId} (was QUEUED): its message is acknowledged without work`,
      );
      return;
    case 'already-cancelled':
      out.line(`${jobId} was already CANCELLED`);
      return;
    case 'too-late':
      throw new CliError(
        result.job.state === 'COMPLETED'
          ? `too late: ${jobId} is already COMPLETED (the cancel lost the race to the completion); the image stays`
          : `too late: ${jobId} already ended ${result.job.state}`,
        { exitCode: EXIT.conflict },
      );
  }
}

export async function resubmitCommand(env: CliEnvironment, jobIds: string[], out: Output): Promise<void> {
  let failed = 0;
  for (const jobId of jobIds) {
    try {
      const { messageId } = await resubmitImageJob(env.jobs.deps, jobId, env.jobs.target);
      out.line(`re-sent ${jobId} (message ${messageId})`);
    } catch (error) {
      if (jobIds.length === 1) libraryError(error);
      failed += 1;
      out.line(`not re-sent ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failed > 0) throw new CliError(`${failed} of ${jobIds.length} job(s) not re-sent`);
  // Proves the record exists and says the message is out now.
  if (jobIds.length === 1 && jobIds[0] !== undefined) {
    const job = await jobOf(env, jobIds[0]);
    out.line(`  state ${job.state}, message sent ${new Date(job.messageSentAt ?? Date.now()).toISOString()}`);
  }
}
