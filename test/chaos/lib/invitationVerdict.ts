import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '@platform/aws-resources';
import { queueCounts } from '@platform/testkit';
import {
  EXPECTED_TO_FAIL,
  targetWasDown,
  type ClientAttempt,
  type PlannedInvitation,
} from './invitationClients.ts';
import { crashes, sigtermExits, type ProcessLife } from './processFleet.ts';
import type { Row } from './verdict.ts';

export interface InvitationRunFacts {
  clients: AwsClients;
  tables: { invitations: string; smsMessages: string };
  queues: Array<{ name: string; url: string; dlq: boolean }>;
  planned: PlannedInvitation[];
  attempts: ClientAttempt[];
  /** Invitations no client got an answer for within its deadline. */
  unanswered: number;
  /** Each planned invitation's last answer (undefined: none within the deadline). */
  finalAnswers: Array<ClientAttempt | undefined>;
  apiLives: ProcessLife[];
  senderLives: ProcessLife[];
}

interface OutboxSms {
  id: string;
  to: string;
  idempotencyKey: string;
  acceptedAt: string;
  /** The sms-sender life whose own outbox directory holds it: who sent it. */
  label: string;
}

export async function scanAll(clients: AwsClients, table: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documentClient.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Every SMS every sender life handed to the local provider (one outbox directory per life). */
export async function readOutboxes(senderLives: ProcessLife[]): Promise<OutboxSms[]> {
  const all: OutboxSms[] = [];
  for (const life of senderLives) {
    const dir = life.env.OUTBOX_DIR;
    if (dir === undefined) continue;
    const text = await readFile(join(dir, 'outbox.jsonl'), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      all.push({ ...(JSON.parse(line) as Omit<OutboxSms, 'label'>), label: life.label });
    }
  }
  return all;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

export async function buildInvitationVerdict(
  facts: InvitationRunFacts,
): Promise<{ rows: Row[]; problems: string[] }> {
  const problems: string[] = [];
  const items = await scanAll(facts.clients, facts.tables.invitations);
  const invitations = items.filter((i) => i.type === 'invitation');
  const pendingOutbox = items.filter((i) => i.sk === 'OUTBOX#sms.requested');
  const ledger = new Map(
    (await scanAll(facts.clients, facts.tables.smsMessages)).map((i) => [String(i.invitationId), i]),
  );
  const kindOf = new Map(facts.planned.map((p) => [p.phoneNumber, p.kind]));
  const sms = await readOutboxes(facts.senderLives);
  const senders = new Map(facts.senderLives.map((l) => [l.label, l]));

  // 1. Every 201 the clients got names an invitation that exists; every invitation ended.
  const created = facts.attempts.filter((a) => a.status === 201);
  const createdIds = created.map((a) =>
    text((a.body as { invitationId?: unknown } | undefined)?.invitationId),
  );
  const byId = new Map(invitations.map((i) => [String(i.invitation_id), i]));
  const missing = createdIds.filter((id) => id === undefined || !byId.has(id));
  if (missing.length > 0)
    problems.push(`201 answered but no invitation stored: ${missing.slice(0, 5).join(', ')}`);
  const finalStatuses = new Set(['sent', 'delivered', 'failed']);
  const notEnded = invitations.filter(
    (i) =>
      !finalStatuses.has(String(i.status)) || (i.status === 'failed' && text(i.failure_code) === undefined),
  );
  for (const i of notEnded.slice(0, 10))
    problems.push(
      `invitation ${String(i.invitation_id)} ended ${String(i.status)}${i.status === 'failed' ? ' without a reason' : ''} (number kind ${kindOf.get(String(i.phone_number)) ?? '?'})`,
    );

  // 2. The outcome the number asked for: refused numbers failed, every other one sent.
  // The local provider counts a flaky number's failures per process: one handled by several sender
  // processes can fail more often than its two times and exhaust its attempts. Allowed, and counted.
  const sendersOf = new Map<string, Set<string>>();
  for (const life of facts.senderLives)
    for (const line of life.lines)
      if (typeof line.invitationId === 'string')
        sendersOf.set(line.invitationId, (sendersOf.get(line.invitationId) ?? new Set()).add(life.label));
  let flakyAcrossRestarts = 0;
  const wrongOutcome = invitations.filter((i) => {
    const kind = kindOf.get(String(i.phone_number));
    if (kind === undefined || !finalStatuses.has(String(i.status))) return false;
    const failed = i.status === 'failed';
    // Outcome unknown after a crash inside the provider call is a documented failure reason.
    if (failed && i.failure_code === 'SEND_OUTCOME_UNKNOWN') return false;
    const restarted = (sendersOf.get(String(i.invitation_id))?.size ?? 0) > 1;
    if (failed && kind === 'flaky' && i.failure_code === 'ATTEMPTS_EXHAUSTED' && restarted) {
      flakyAcrossRestarts += 1;
      return false;
    }
    return failed !== EXPECTED_TO_FAIL.has(kind);
  });
  for (const i of wrongOutcome.slice(0, 10))
    problems.push(
      `invitation ${String(i.invitation_id)} (${kindOf.get(String(i.phone_number))}) ended ${String(i.status)} ${text(i.failure_code) ?? ''}`,
    );

  // 3. Exactly one SMS per sent invitation, none for a failed one, except the crash window: an SMS
  // the provider accepted whose sender was SIGKILLed before the ledger recorded it.
  const smsByInvitation = new Map<string, OutboxSms[]>();
  for (const m of sms)
    smsByInvitation.set(m.idempotencyKey, [...(smsByInvitation.get(m.idempotencyKey) ?? []), m]);
  let inWindow = 0;
  const outsideWindow: string[] = [];
  const wrongCount: string[] = [];
  for (const invitation of invitations) {
    const id = String(invitation.invitation_id);
    const record = ledger.get(id);
    const recordedIds = new Set<string>(
      [
        text(record?.providerMessageId),
        ...((record?.attemptLog as Array<{ providerMessageId?: unknown }> | undefined) ?? []).map((a) =>
          text(a.providerMessageId),
        ),
      ].filter((x): x is string => x !== undefined),
    );
    const mine = smsByInvitation.get(id) ?? [];
    const recorded = mine.filter((m) => recordedIds.has(m.id));
    for (const m of mine.filter((x) => !recordedIds.has(x.id))) {
      const sender = senders.get(m.label);
      const killedAfter =
        sender?.killed === true && sender.endedAt !== undefined && sender.endedAt >= Date.parse(m.acceptedAt);
      if (killedAfter) inWindow += 1;
      else outsideWindow.push(`${id} by ${m.label}${sender?.killed === true ? '' : ' (not SIGKILLed)'}`);
    }
    const expected = invitation.status === 'sent' || invitation.status === 'delivered' ? 1 : 0;
    if (finalStatuses.has(String(invitation.status)) && recorded.length !== expected)
      wrongCount.push(`${id} ${String(invitation.status)} with ${recorded.length} recorded SMS`);
  }
  for (const p of outsideWindow.slice(0, 10)) problems.push(`SMS outside the crash window: ${p}`);
  for (const p of wrongCount.slice(0, 10)) problems.push(`recorded SMS count: ${p}`);
  const orphanSms = sms.filter((m) => !byId.has(m.idempotencyKey)).length;
  if (orphanSms > 0) problems.push(`${orphanSms} SMS for no stored invitation`);

  // 4. No 5xx (or cut connection) from a process that was up; refused connections counted apart.
  const fiveXx = facts.attempts.filter((a) => (a.status ?? 0) >= 500);
  const fiveXxUp = fiveXx.filter((a) => !targetWasDown(a, facts.apiLives));
  const errors = facts.attempts.filter((a) => a.errorCode !== undefined);
  const refused = errors.filter((a) => a.errorCode === 'ECONNREFUSED');
  const cut = errors.filter((a) => a.errorCode !== 'ECONNREFUSED');
  const cutUp = cut.filter((a) => !targetWasDown(a, facts.apiLives));
  for (const a of [...fiveXxUp, ...cutUp].slice(0, 10))
    problems.push(`client got ${a.status ?? a.errorCode} from ${a.label}, which was up`);

  // 5. Nothing stuck: queues, DLQs and the transactional outbox empty.
  const leftovers: string[] = [];
  for (const q of facts.queues) {
    const c = await queueCounts(facts.clients.sqs, q.url);
    const n = c.visible + c.inFlight + c.delayed;
    if (n > 0) leftovers.push(`${q.name} ${n}`);
  }
  if (pendingOutbox.length > 0) leftovers.push(`outbox items ${pendingOutbox.length}`);
  if (leftovers.length > 0) problems.push(`left over: ${leftovers.join(', ')}`);

  // 6. SIGTERM means exit 0, for both services, start-up included.
  const apiTerms = sigtermExits(facts.apiLives);
  const senderTerms = sigtermExits(facts.senderLives);
  for (const f of [...apiTerms.failures, ...senderTerms.failures]) problems.push(`SIGTERM not exit 0: ${f}`);
  const crashed = [...crashes(facts.apiLives), ...crashes(facts.senderLives)];
  for (const c of crashed.slice(0, 10)) problems.push(`exited by itself: ${c}`);

  const statusCounts = [...finalStatuses, 'queued']
    .map((s) => `${s} ${invitations.filter((i) => i.status === s).length}`)
    .join(', ');
  const signals = (lives: ProcessLife[]) =>
    ['SIGKILL', 'SIGTERM', 'SIGSTOP']
      .map((s) => lives.reduce((n, l) => n + l.signals.filter((e) => e.signal === s).length, 0))
      .join(' / ');
  const statusOf = (a: ClientAttempt) =>
    a.status !== undefined
      ? `${a.status}${a.code === undefined ? '' : ` ${a.code}`}`
      : (a.errorCode ?? 'error');
  const answers = [...new Set(facts.attempts.map(statusOf))]
    .sort()
    .map((s) => `${s}×${facts.attempts.filter((a) => statusOf(a) === s).length}`)
    .join(' ');
  const rows: Row[] = [
    {
      check: 'invitations ended sent/delivered, or failed with a reason',
      expected: `${invitations.length}`,
      observed: `${invitations.length - notEnded.length} (${statusCounts})`,
      ok: notEnded.length === 0 && missing.length === 0 && invitations.length > 0,
    },
    {
      check: 'outcome as the number asks (refused numbers failed, others sent)',
      expected: '0 wrong',
      observed: `${wrongOutcome.length} wrong (${flakyAcrossRestarts} flaky exhausted across sender restarts)`,
      ok: wrongOutcome.length === 0,
    },
    {
      check: 'recorded SMS per invitation (1 if sent, 0 if failed)',
      expected: '0 differ',
      observed: `${wrongCount.length} differ (${sms.length} SMS in the outboxes)`,
      ok: wrongCount.length === 0 && orphanSms === 0,
    },
    {
      check: 'extra SMS outside the crash window (provider accept -> ledger write)',
      expected: '0',
      observed: `${outsideWindow.length} (${inWindow} inside the window)`,
      ok: outsideWindow.length === 0,
    },
    {
      check: '5xx or cut connections from an invite-api that was up',
      expected: '0',
      observed: `${fiveXxUp.length + cutUp.length} (while stopping/down: ${fiveXx.length - fiveXxUp.length} 5xx, ${cut.length - cutUp.length} cut)`,
      ok: fiveXxUp.length + cutUp.length === 0,
    },
    {
      check: 'clients whose POST ended in its 201 (retries replayed by Idempotency-Key)',
      expected: `${facts.planned.length}`,
      observed: `${facts.finalAnswers.filter((a) => a?.status === 201).length}`,
      ok: facts.finalAnswers.filter((a) => a?.status === 201).length === facts.planned.length,
    },
    {
      check: 'clients without an answer within their deadline',
      expected: '0',
      observed: `${facts.unanswered}`,
      ok: facts.unanswered === 0,
    },
    {
      check: 'left on queues, DLQs and the outbox',
      expected: '0',
      observed: leftovers.length === 0 ? '0' : leftovers.join(', '),
      ok: leftovers.length === 0,
    },
    {
      check: 'invite-api exiting 0 on SIGTERM',
      expected: `${apiTerms.total}`,
      observed: `${apiTerms.clean} (${apiTerms.duringStartup} during start-up)`,
      ok: apiTerms.clean === apiTerms.total,
    },
    {
      check: 'sms-sender exiting 0 on SIGTERM',
      expected: `${senderTerms.total}`,
      observed: `${senderTerms.clean} (${senderTerms.duringStartup} during start-up)`,
      ok: senderTerms.clean === senderTerms.total,
    },
    {
      check: 'processes that exited without a signal (crashes)',
      expected: '0',
      observed: `${crashed.length}`,
      ok: crashed.length === 0,
    },
    {
      check: 'invitations planned / stored',
      expected: '',
      observed: `${facts.planned.length} / ${invitations.length}`,
      ok: undefined,
    },
    { check: 'client answers (status×count)', expected: '', observed: answers, ok: undefined },
    {
      check: 'connection refused (process down)',
      expected: '',
      observed: `${refused.length}`,
      ok: undefined,
    },
    {
      check: 'lives / SIGKILL / SIGTERM / SIGSTOP: invite-api',
      expected: '',
      observed: `${facts.apiLives.length} / ${signals(facts.apiLives)}`,
      ok: undefined,
    },
    {
      check: 'lives / SIGKILL / SIGTERM / SIGSTOP: sms-sender',
      expected: '',
      observed: `${facts.senderLives.length} / ${signals(facts.senderLives)}`,
      ok: undefined,
    },
  ];
  return { rows, problems };
}
