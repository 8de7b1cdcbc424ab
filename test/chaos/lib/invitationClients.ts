import { setTimeout as delay } from 'node:timers/promises';
import { pick } from './random.ts';
import type { ProcessFleet, ProcessLife } from './processFleet.ts';

/** What a number's last four digits make the local SMS provider do (its magic suffixes). */
export type NumberKind = 'normal' | 'invalid' | 'opted-out' | 'flaky' | 'throttled' | 'slow';

export const SUFFIX_OF: Record<Exclude<NumberKind, 'normal'>, string> = {
  invalid: '9990',
  'opted-out': '9991',
  flaky: '9992',
  throttled: '9993',
  slow: '9994',
};

/** The provider refuses these for good (or until attempts run out): the invitation must end `failed`. */
export const EXPECTED_TO_FAIL: ReadonlySet<NumberKind> = new Set(['invalid', 'opted-out', 'throttled']);

// libphonenumber-valid US area codes: +1 <area> 555 <four digits> is a valid FIXED_LINE_OR_MOBILE number.
const AREA_CODES = ['201', '206', '212', '213', '303', '305', '312', '404', '415', '503', '512', '617'];

export interface PlannedInvitation {
  kind: NumberKind;
  phoneNumber: string;
  /** Index of the inviting user (each user stays under the per-user daily limit). */
  user: number;
}

/** Distinct numbers (one invitation per number per 24 h), a seeded share of each magic kind. */
export function planInvitations(random: () => number, count: number, perUser: number): PlannedInvitation[] {
  const used = new Set<string>();
  const planned: PlannedInvitation[] = [];
  const weights: Array<[NumberKind, number]> = [
    ['normal', 80],
    ['invalid', 4],
    ['opted-out', 3],
    ['flaky', 5],
    ['throttled', 3],
    ['slow', 5],
  ];
  const total = weights.reduce((n, [, w]) => n + w, 0);
  while (planned.length < count) {
    let roll = random() * total;
    const kind = weights.find(([, w]) => (roll -= w) < 0)?.[0] ?? 'normal';
    const area = pick(random, AREA_CODES);
    const line = kind === 'normal' ? String(1000 + Math.floor(random() * 8000)) : SUFFIX_OF[kind];
    const phoneNumber = `+1${area}555${line}`;
    if (used.has(phoneNumber)) continue;
    used.add(phoneNumber);
    planned.push({ kind, phoneNumber, user: Math.floor(planned.length / perUser) });
  }
  return planned;
}

/** One HTTP attempt of a client, as the client saw it. */
export interface ClientAttempt {
  phoneNumber: string;
  /** The invite-api life it was sent to. */
  label: string;
  at: number;
  doneAt: number;
  status?: number;
  /** The API's error code, for a 4xx/5xx answer. */
  code?: string;
  errorCode?: string;
  body?: unknown;
}

/** Whether the target process was being stopped or was gone when the attempt ended. */
export function targetWasDown(attempt: ClientAttempt, lives: ProcessLife[]): boolean {
  const life = lives.find((l) => l.label === attempt.label);
  if (life === undefined) return true;
  const signalled = life.signals.some(
    (s) => s.signal !== 'SIGCONT' && s.signal !== 'SIGSTOP' && s.at <= attempt.doneAt,
  );
  return signalled || (life.endedAt !== undefined && life.endedAt <= attempt.doneAt);
}

function errorCodeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && error.name === 'AbortError') return 'TIMEOUT';
  if (error instanceof Error && error.name === 'TimeoutError') return 'TIMEOUT';
  return typeof cause?.message === 'string' ? cause.message : String(error);
}

/**
 * A client that POSTs one invitation and, like a real one, retries on a connection error or a 5xx
 * (against whichever invite-api is up) until it gets an answer it can act on, within a deadline.
 */
export async function postInvitation(
  fleet: ProcessFleet,
  invitation: PlannedInvitation,
  token: string,
  attempts: ClientAttempt[],
  random: () => number,
  options: { idempotencyKey: string; deadlineMs?: number },
): Promise<ClientAttempt | undefined> {
  const until = Date.now() + (options.deadlineMs ?? 60_000);
  while (Date.now() < until) {
    const up = fleet.slots
      .map((slot) => fleet.current(slot))
      .filter((life): life is ProcessLife => life?.readyAt !== undefined && life.endedAt === undefined)
      .filter((life) => !life.signals.some((s) => s.signal === 'SIGTERM'));
    const life = up.length === 0 ? undefined : pick(random, up);
    const port = life?.lines.find((l) => l.msg === 'invite-api listening')?.port;
    if (life === undefined || typeof port !== 'number') {
      await delay(100);
      continue;
    }
    const attempt: ClientAttempt = {
      phoneNumber: invitation.phoneNumber,
      label: life.label,
      at: Date.now(),
      doneAt: 0,
    };
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/invitations`, {
        method: 'POST',
        // A well-behaved client: the same key on every retry, so a retry after a lost answer gets the
        // same 201 instead of a 409 for its own invitation.
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': options.idempotencyKey,
        },
        body: JSON.stringify({ phoneNumber: invitation.phoneNumber }),
        signal: AbortSignal.timeout(15_000),
      });
      attempt.status = response.status;
      attempt.body = await response.json().catch(() => undefined);
      const code = (attempt.body as { error?: { code?: unknown } } | undefined)?.error?.code;
      if (typeof code === 'string') attempt.code = code;
    } catch (error) {
      attempt.errorCode = errorCodeOf(error);
    }
    attempt.doneAt = Date.now();
    attempts.push(attempt);
    if (attempt.status !== undefined && attempt.status < 500) return attempt;
    await delay(100 + random() * 300);
  }
  return undefined;
}
