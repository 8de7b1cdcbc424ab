import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  LeaseLostError,
  type AcquireResult,
  type Lease,
  type LeaseLedger,
  type LeaseLostReason,
  type LeaseRecord,
} from '@platform/reliable-consumer';
import type { ProviderName } from './providers/types.ts';

/**
 * The send ledger: one item per invitation in the sms-messages table, on top of the shared lease
 * ledger (PENDING -> PROCESSING -> COMPLETED | FAILED, fenced by owner + version). This module adds
 * what an SMS needs beyond a lease:
 *
 * - `inFlight`: written (fenced) BEFORE the provider call and cleared by the write that records its
 *   outcome. A holder that takes over a lease and finds `inFlight` set knows the previous attempt
 *   died inside the provider call: its outcome is UNKNOWN (the crash window; SNS and Twilio have no
 *   idempotency key to ask). See docs/sms-pipeline.md.
 * - `attemptLog`: every attempt (bounded), for support and for the audit the design asks for.
 * - `finalFailure`: a permanent verdict recorded before the lease is marked FAILED, so a crash
 *   between the two writes never leads to another provider call.
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

export interface SendLedgerDeps {
  ledger: LeaseLedger;
  /** For the fenced attribute writes the lease ledger has no method for. */
  ddb: DynamoDBDocumentClient;
  clock?: () => number;
}

export interface SendLedgerOptions {
  /** Most attempts kept per item (oldest dropped). Default 20: an item stays far below 400 KB. */
  attemptLogLimit?: number;
}

export interface SendLedger {
  acquire(
    invitationId: string,
    owner: string,
    attributes: { provider: ProviderName; recipient: string },
    signal: AbortSignal,
  ): Promise<AcquireResult>;
  /** Wraps an acquired lease; all writes for it go through the returned handle, one at a time. */
  hold(lease: Lease): HeldSend;
}

export interface HeldSend {
  readonly state: SendState;
  readonly attempt: number;
  /** Heartbeat: extends the lease (bumps the fencing version). */
  renew(signal?: AbortSignal): Promise<void>;
  /** Records `inFlight` BEFORE the provider call (and the attempt log so far). */
  markInFlight(marker: InFlightMarker, log: AttemptRecord[], signal: AbortSignal): Promise<void>;
  /** Provider accepted: COMPLETED with the message id, `inFlight` cleared, in one conditional write. */
  recordSent(
    log: AttemptRecord[],
    sent: { providerMessageId: string; sentAt: string; provider: ProviderName },
    signal: AbortSignal,
  ): Promise<void>;
  /** Transient failure: log stored and `inFlight` cleared, then FAILED (retryable) so the next delivery re-acquires. */
  recordRetry(log: AttemptRecord[], error: unknown, signal: AbortSignal): Promise<void>;
  /** Permanent failure: `finalFailure` stored first, then FAILED (not retryable). */
  recordFailed(log: AttemptRecord[], failure: FinalFailure, signal: AbortSignal): Promise<void>;
  /** Hands the lease back (shutdown before or after an interrupted call; `inFlight` stays as it is). */
  release(signal: AbortSignal): Promise<void>;
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

export function createSendLedger(deps: SendLedgerDeps, options: SendLedgerOptions = {}): SendLedger {
  const { ledger, ddb } = deps;
  const clock = deps.clock ?? Date.now;
  const limit = options.attemptLogLimit ?? 20;
  const { tableName, keyName } = ledger.options;
  const bounded = (log: AttemptRecord[]) => log.slice(-limit);

  return {
    acquire: (invitationId, owner, attributes, signal) =>
      ledger.acquire(invitationId, owner, { attributes, signal }),

    hold(initial) {
      let lease = initial;
      // Renew (heartbeat) and the outcome writes race otherwise: a renew bumps the fencing version,
      // so a write built on the old version would fail its condition although we still hold the lease.
      let queue: Promise<unknown> = Promise.resolve();
      const serial = <T>(fn: () => Promise<T>): Promise<T> => {
        const run = queue.then(fn, fn);
        queue = run.catch(() => undefined);
        return run;
      };

      /** SET/REMOVE our own attributes under the holder condition (same rule the lease ledger uses). */
      async function fencedWrite(
        set: Record<string, unknown>,
        remove: string[],
        signal: AbortSignal,
      ): Promise<void> {
        const now = clock();
        const names: Record<string, string> = { '#status': 'status' };
        const values: Record<string, unknown> = {
          ':processing': 'PROCESSING',
          ':owner': lease.owner,
          ':version': lease.version,
          ':now': now,
        };
        const sets = Object.entries(set).map(([name, value], i) => {
          names[`#s${i}`] = name;
          values[`:s${i}`] = value;
          return `#s${i} = :s${i}`;
        });
        const removes = remove.map((name, i) => {
          names[`#r${i}`] = name;
          return `#r${i}`;
        });
        const expression = [
          sets.length > 0 ? `SET ${sets.join(', ')}` : '',
          removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(' ');
        try {
          await ddb.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { [keyName]: lease.key },
              UpdateExpression: expression,
              ConditionExpression:
                '#status = :processing AND leaseOwner = :owner AND version = :version AND leaseExpiresAt > :now',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
            { abortSignal: signal },
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          // Only for the log line: the decision (stop, no side effects) does not depend on the reason.
          const current = await ledger.get(lease.key, { signal }).catch(() => undefined);
          throw new LeaseLostError({
            key: lease.key,
            owner: lease.owner,
            version: lease.version,
            reason: lostReason(current, lease, now),
            current: current === undefined ? undefined : { status: current.status, version: current.version },
            cause: error,
          });
        }
      }

      return {
        state: readSendState(initial.record),
        attempt: initial.attempts,
        renew: (signal) =>
          serial(async () => {
            lease = await ledger.renew(lease, { signal });
          }),
        markInFlight: (marker, log, signal) =>
          serial(() => fencedWrite({ inFlight: marker, attemptLog: bounded(log) }, [], signal)),
        recordSent: (log, sent, signal) =>
          serial(async () => {
            await ledger.complete(
              lease,
              { ...sent, attemptLog: bounded(log), inFlight: null, finalFailure: null },
              { signal },
            );
          }),
        recordRetry: (log, error, signal) =>
          serial(async () => {
            await fencedWrite({ attemptLog: bounded(log) }, ['inFlight'], signal);
            await ledger.fail(lease, { error, retryable: true }, { signal });
          }),
        recordFailed: (log, failure, signal) =>
          serial(async () => {
            await fencedWrite({ attemptLog: bounded(log), finalFailure: failure }, ['inFlight'], signal);
            await ledger.fail(lease, { error: failure, retryable: false }, { signal });
          }),
        release: (signal) =>
          serial(async () => {
            await ledger.release(lease, { signal });
          }),
      };
    },
  };
}

function lostReason(current: LeaseRecord | undefined, lease: Lease, now: number): LeaseLostReason {
  if (current === undefined) return 'missing';
  if (current.leaseOwner !== lease.owner || current.version !== lease.version) return 'taken-over';
  if (current.status !== 'PROCESSING') return 'finished';
  return (current.leaseExpiresAt ?? 0) <= now ? 'expired' : 'taken-over';
}
