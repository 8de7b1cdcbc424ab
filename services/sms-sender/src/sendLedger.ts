import type { FieldChanges, LeaseLedger, LeaseRecord } from '@platform/reliable-consumer';
import type { ProviderName } from './providers/types.ts';

/**
 * The send ledger: one item per invitation in the sms-messages table, on top of the shared lease
 * ledger (PENDING -> PROCESSING -> COMPLETED | FAILED, fenced by owner + version; its lifecycle is
 * `withLease`). This module only says what an SMS stores beside the lease, written through the
 * lease's own fenced writes (`held.update`, and the final COMPLETED / FAILED write):
 *
 * - `inFlight`: written (fenced) BEFORE the provider call and cleared by the write that records its
 *   outcome. A holder that takes over a lease and finds `inFlight` set knows the previous attempt
 *   died inside the provider call: its outcome is UNKNOWN (the crash window; SNS and Twilio have no
 *   idempotency key to ask). See docs/sms-pipeline.md.
 * - `attemptLog`: every attempt (bounded), for support and for the audit the design asks for.
 * - `finalFailure`: the permanent verdict, stored in the same write as FAILED (items written by
 *   older versions may hold it on a PROCESSING record: it is honoured without another provider call).
 */

export type AttemptOutcome = 'accepted' | 'failed-transient' | 'failed-permanent' | 'unknown';

export interface AttemptRecord {
  /** The lease acquisition this attempt ran under (1-based). */
  attempt: number;
  attemptId: string;
  provider: ProviderName;
  startedAt: string;
  outcome: AttemptOutcome;
  latencyMs?: number;
  code?: string;
  providerMessageId?: string;
}

export interface InFlightMarker {
  attempt: number;
  attemptId: string;
  provider: ProviderName;
  startedAt: string;
}

export interface FinalFailure {
  code: string;
  message: string;
}

/** The sender's view of a ledger item. */
export interface SendState {
  provider: ProviderName | undefined;
  attemptLog: AttemptRecord[];
  inFlight: InFlightMarker | undefined;
  finalFailure: FinalFailure | undefined;
  providerMessageId: string | undefined;
  sentAt: string | undefined;
}

const PROVIDERS: ReadonlySet<string> = new Set(['sns', 'twilio', 'local']);
const OUTCOMES: ReadonlySet<string> = new Set([
  'accepted',
  'failed-transient',
  'failed-permanent',
  'unknown',
]);

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const provider = (value: unknown): ProviderName | undefined =>
  typeof value === 'string' && PROVIDERS.has(value) ? (value as ProviderName) : undefined;

function attemptRecord(value: unknown): AttemptRecord[] {
  if (typeof value !== 'object' || value === null) return [];
  const v = value as Record<string, unknown>;
  const name = provider(v.provider);
  const outcome = str(v.outcome);
  if (
    typeof v.attempt !== 'number' ||
    name === undefined ||
    outcome === undefined ||
    !OUTCOMES.has(outcome)
  ) {
    return [];
  }
  const record: AttemptRecord = {
    attempt: v.attempt,
    attemptId: str(v.attemptId) ?? '',
    provider: name,
    startedAt: str(v.startedAt) ?? '',
    outcome: outcome as AttemptOutcome,
  };
  if (typeof v.latencyMs === 'number') record.latencyMs = v.latencyMs;
  if (str(v.code) !== undefined) record.code = str(v.code);
  if (str(v.providerMessageId) !== undefined) record.providerMessageId = str(v.providerMessageId);
  return [record];
}

/** Reads the sender's attributes off a ledger record, tolerating items written by older versions. */
export function readSendState(record: LeaseRecord): SendState {
  const a = record.attributes;
  const inFlight = a.inFlight as Record<string, unknown> | null | undefined;
  const inFlightProvider = provider(inFlight?.provider);
  const failure = a.finalFailure as Record<string, unknown> | null | undefined;
  return {
    provider: provider(a.provider),
    attemptLog: Array.isArray(a.attemptLog) ? a.attemptLog.flatMap(attemptRecord) : [],
    inFlight:
      inFlight && typeof inFlight.attempt === 'number' && inFlightProvider !== undefined
        ? {
            attempt: inFlight.attempt,
            attemptId: str(inFlight.attemptId) ?? '',
            provider: inFlightProvider,
            startedAt: str(inFlight.startedAt) ?? '',
          }
        : undefined,
    finalFailure:
      failure && typeof failure.code === 'string'
        ? { code: failure.code, message: str(failure.message) ?? failure.code }
        : undefined,
    providerMessageId: str(a.providerMessageId),
    sentAt: str(a.sentAt),
  };
}

export interface SendLedgerDeps {
  ledger: LeaseLedger;
}

export interface SendLedgerOptions {
  /** Most attempts kept per item (oldest dropped). Default 20: an item stays far below 400 KB. */
  attemptLogLimit?: number;
}

export interface SendLedger {
  /** The lease ledger itself, for `withLease`. */
  readonly ledger: LeaseLedger;
  /** Before the provider call: the in-flight mark and the attempt log so far. */
  inFlight(marker: InFlightMarker, log: AttemptRecord[]): FieldChanges;
  /** Provider accepted: stored with COMPLETED, in-flight cleared, in one conditional write. */
  sent(
    log: AttemptRecord[],
    sent: { providerMessageId: string; sentAt: string; provider: ProviderName },
  ): Record<string, unknown>;
  /** Any other outcome of the call (stored with FAILED): log kept, in-flight cleared, verdict if final. */
  outcome(log: AttemptRecord[], finalFailure?: FinalFailure): Required<FieldChanges>;
}

export function createSendLedger(deps: SendLedgerDeps, options: SendLedgerOptions = {}): SendLedger {
  const limit = options.attemptLogLimit ?? 20;
  const bounded = (log: AttemptRecord[]) => log.slice(-limit);
  return {
    ledger: deps.ledger,
    inFlight: (marker, log) => ({ set: { inFlight: marker, attemptLog: bounded(log) } }),
    sent: (log, sent) => ({ ...sent, attemptLog: bounded(log), inFlight: null, finalFailure: null }),
    outcome: (log, finalFailure) => ({
      set:
        finalFailure === undefined
          ? { attemptLog: bounded(log) }
          : { attemptLog: bounded(log), finalFailure },
      remove: ['inFlight'],
    }),
  };
}
