import type { Message } from '@aws-sdk/client-sqs';
import { decodeMessage } from '@platform/contracts';
import type { Row } from './verdict.ts';

/**
 * The completion-event checks of the chaos run (issue 10): events are at least once and deduped by
 * job id, so the guarantee is "every COMPLETED job has an event, no event without COMPLETED, the
 * event says what the ledger says, and no completion is still waiting to be published".
 */
export function completionEventRows(
  messages: readonly Message[],
  ledger: ReadonlyMap<string, Record<string, unknown>>,
  goodJobs: ReadonlySet<string>,
): { rows: Row[]; problems: string[] } {
  const events = new Map<string, { sha256: string; copies: number }>();
  let undecodable = 0;
  for (const message of messages) {
    try {
      const decoded = decodeMessage(message);
      if (decoded.contract !== 'image.job.completed') continue;
      const payload = decoded.payload as { jobId: string; sha256: string };
      const seen = events.get(payload.jobId);
      events.set(payload.jobId, { sha256: payload.sha256, copies: (seen?.copies ?? 0) + 1 });
    } catch {
      undecodable += 1;
    }
  }
  const completed = [...goodJobs].filter((id) => ledger.get(id)?.status === 'COMPLETED');
  const missing = completed.filter((id) => !events.has(id));
  const withoutCompletion = [...events.keys()].filter((id) => ledger.get(id)?.status !== 'COMPLETED');
  const shaMismatch = [...events].filter(([id, e]) => ledger.get(id)?.sha256 !== e.sha256).map(([id]) => id);
  const stillPending = completed.filter((id) => ledger.get(id)?.eventPending === true);
  const duplicates = [...events.values()].reduce((n, e) => n + e.copies - 1, 0);

  const problems: string[] = [];
  if (missing.length > 0) problems.push(`no completion event for: ${missing.slice(0, 10).join(', ')}`);
  if (withoutCompletion.length > 0)
    problems.push(`completion event for a job not COMPLETED: ${withoutCompletion.slice(0, 10).join(', ')}`);
  if (shaMismatch.length > 0)
    problems.push(`event sha256 differs from the ledger: ${shaMismatch.slice(0, 10).join(', ')}`);
  if (stillPending.length > 0)
    problems.push(`eventPending still set: ${stillPending.slice(0, 10).join(', ')}`);
  if (undecodable > 0) problems.push(`${undecodable} event message(s) failed to decode`);

  const rows: Row[] = [
    {
      check: 'completion event per COMPLETED job (deduped by id)',
      expected: String(completed.length),
      observed: `${completed.length - missing.length} (${withoutCompletion.length} for jobs not COMPLETED)`,
      ok: missing.length === 0 && withoutCompletion.length === 0 && undecodable === 0,
    },
    {
      check: 'completion events agree with the ledger (sha256), none pending',
      expected: '0 / 0',
      observed: `${shaMismatch.length} / ${stillPending.length}`,
      ok: shaMismatch.length === 0 && stillPending.length === 0,
    },
    {
      check: 'duplicate completion events (allowed, deduped)',
      expected: '',
      observed: String(duplicates),
      ok: undefined,
    },
  ];
  return { rows, problems };
}
