import { setTimeout as sleep } from 'node:timers/promises';
import { classifyError } from '@platform/errors';
import type { HandlerOutcome } from '../consumer/types.ts';
import { HandlerAbortedError, LeaseLostError } from '../errors.ts';
import { toLeaseRecord } from '../ledger/record.ts';
import type { CallOptions, Lease, LeaseLedger, LeaseRecord } from '../ledger/types.ts';
import type {
  ExhaustedReason,
  HeldLease,
  LeaseContext,
  LeaseEvent,
  LeasedWorkResult,
  LeaseRequest,
} from './types.ts';

// Pauses between tries of the COMPLETED write (after the SDK's own retries): the side effect is
// done, so a DynamoDB blip of a few seconds must not turn a known success into a retry.
const COMPLETE_RETRY_DELAYS_MS = [250, 1_000, 3_000];
// Writes after the handler's signal fired (release, verdicts) get their own short deadline.
const AFTER_ABORT_TIMEOUT_MS = 5_000;
// On the last receive a busy key is waited for; this much past the other lease's expiry.
const BUSY_WAIT_SLACK_MS = 250;

/**
 * Runs `work` under the ledger lease of `request.key`: the whole lease lifecycle in one place, so a
 * service only supplies the work (Powertools' IdempotencyHandler is the model).
 *
 * Acquire (idempotent: a retried request recognises its own lease by the per-acquire token), then:
 * - COMPLETED already -> onCompleted (default ack). FAILED for good -> onFailed (default dead-letter).
 * - busy (a live lease elsewhere) -> defer until that lease would run out; never a failure. On the
 *   queue's last receive it is waited for instead (the heartbeat keeps the message), so a message
 *   never reaches the DLQ while the ledger still says PROCESSING.
 * - acquired -> the lease is checked against its local monotonic deadline right away (an answer read
 *   late may already be over), renewed on every heartbeat, and every write (renew, update, the final
 *   one) runs one at a time, so a renewal never bumps the fencing version under the final write.
 *
 * The failure policy (docs: libs/reliable-consumer/README.md, "Failure policy"):
 * - work returns `completed` -> COMPLETED (retried briefly on a DynamoDB blip) -> `after` / ack.
 * - permanent failure (returned, or a PermanentError thrown) -> FAILED, not retryable -> dead-letter.
 * - transient failure -> FAILED, retryable, failures + 1 -> retry with backoff; once failures reach
 *   maxAttempts, or on the queue's last receive, FAILED with ATTEMPTS_EXHAUSTED / RECEIVES_EXHAUSTED
 *   (retryable only if policy.exhaustedRetryable) -> onExhausted (default dead-letter).
 * - lease lost (renewal refused, a write fenced out, the local deadline passed) -> NO write at all:
 *   another worker may hold it. Not a failure: retried (or abandoned, if the signal fired).
 * - aborted while the lease is ours (shutdown, visibility lost) -> release (PENDING): not a failure.
 *   On the last receive a RECEIVES_EXHAUSTED verdict (retryable) replaces the release.
 */
export async function withLease(
  ctx: LeaseContext,
  ledger: LeaseLedger,
  request: LeaseRequest,
  work: (held: HeldLease) => Promise<LeasedWorkResult>,
): Promise<HandlerOutcome> {
  const { policy, key, owner } = request;
  const lastReceive = ctx.receiveCount >= policy.maxReceiveCount;
  const log = ctx.log;
  const subject = request.subject ?? 'key';
  const observe = (event: LeaseEvent): void => {
    try {
      request.observe?.(event);
    } catch (error) {
      log.error({ err: error }, 'lease observer threw; ignored');
    }
  };

  let acquired = await ledger.acquire(key, owner, { signal: ctx.signal, attributes: request.attributes });
  while (acquired.kind === 'busy' && lastReceive) {
    // Deferring now would let SQS move the message to the DLQ on its next receive, whatever the
    // other holder's fate. Wait it out: it completes (-> duplicate) or expires (-> ours).
    log.info(
      { leaseOwner: acquired.record.leaseOwner, waitMs: acquired.msUntilExpiry },
      `${subject} leased elsewhere on the last receive; waiting for that lease instead of deferring`,
    );
    await sleep(acquired.msUntilExpiry + BUSY_WAIT_SLACK_MS, undefined, { signal: ctx.signal });
    acquired = await ledger.acquire(key, owner, { signal: ctx.signal, attributes: request.attributes });
  }

  switch (acquired.kind) {
    case 'completed':
      observe({ kind: 'duplicate', record: acquired.record });
      log.info({}, `${subject} already completed; duplicate delivery acknowledged`);
      return request.onCompleted ? request.onCompleted(acquired.record) : { kind: 'ack' };
    case 'failed': {
      const lastError = acquired.record.lastError;
      observe({ kind: 'already-failed', record: acquired.record });
      log.warn({ lastError }, `${subject} failed permanently before; not running it again`);
      return request.onFailed
        ? request.onFailed(acquired.record)
        : {
            kind: 'dead-letter',
            reason: lastError?.code ?? 'FAILED',
            detail: lastError?.message || 'the ledger marks this key FAILED (not retryable)',
          };
    }
    case 'cancelled':
      observe({ kind: 'cancelled', record: acquired.record });
      log.info({}, `${subject} was cancelled; delivery acknowledged without work`);
      return request.onCancelled ? request.onCancelled(acquired.record) : { kind: 'ack' };
    case 'busy': {
      // Not ours to run and not ours to delete: come back when that lease would have run out.
      const delaySeconds = Math.max(1, Math.ceil(acquired.msUntilExpiry / 1000));
      observe({ kind: 'busy', record: acquired.record, delaySeconds });
      log.info(
        { leaseOwner: acquired.record.leaseOwner, delaySeconds },
        `${subject} leased by another worker; deferring`,
      );
      return { kind: 'defer', delaySeconds };
    }
    case 'acquired':
      break;
  }

  const holder = hold(ctx, ledger, acquired.lease);
  observe({ kind: 'acquired', lease: acquired.lease });
  try {
    // An acquire answer read late (after a pause) may carry a lease that is already (nearly) over.
    holder.view.assertLive('starting the work');
  } catch (error) {
    return onError(error);
  }
  ctx.onHeartbeat(() => holder.renew());

  let result: LeasedWorkResult;
  try {
    result = await work(holder.view);
  } catch (error) {
    return onError(error);
  }

  if (result.kind === 'completed') {
    let record: LeaseRecord;
    try {
      record = await completePersistently(result.attributes);
    } catch (error) {
      return onError(error);
    }
    observe({ kind: 'completed', record });
    // Outside the error mapping: a failing `after` (e.g. a status publish) is the consumer's to
    // retry, and the next delivery finds COMPLETED and runs onCompleted.
    return result.after ? result.after(record) : { kind: 'ack' };
  }
  return settleFailure(result.error, result.retryable, result, result.after);

  async function completePersistently(attributes: Record<string, unknown> | undefined): Promise<LeaseRecord> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await holder.final((lease, call) => ledger.complete(lease, attributes, call), false);
      } catch (error) {
        const delay = COMPLETE_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || error instanceof LeaseLostError || ctx.signal.aborted) throw error;
        log.warn({ err: error, retryInMs: delay }, 'recording the completion failed; retrying');
        await sleep(delay, undefined, { signal: ctx.signal });
      }
    }
  }

  /** Stores the verdict for a failed attempt, then maps it to an outcome (the policy above). */
  async function settleFailure(
    error: unknown,
    retryable: boolean,
    changes: { set?: Record<string, unknown>; remove?: readonly string[] },
    after: ((record: LeaseRecord) => Promise<HandlerOutcome>) | undefined,
  ): Promise<HandlerOutcome> {
    const { code, message } = classifyError(error);
    const failures = holder.view.failures + 1;
    const exhausted: ExhaustedReason | undefined = !retryable
      ? undefined
      : failures >= policy.maxAttempts
        ? 'ATTEMPTS_EXHAUSTED'
        : lastReceive
          ? 'RECEIVES_EXHAUSTED'
          : undefined;
    const verdict =
      exhausted === undefined
        ? error
        : {
            code: exhausted,
            message:
              exhausted === 'ATTEMPTS_EXHAUSTED'
                ? `Gave up after ${failures} failed attempt(s) (limit ${policy.maxAttempts}); last: ${code}: ${message}`
                : `Failed on the queue's last receive (${ctx.receiveCount} of ${policy.maxReceiveCount}); last: ${code}: ${message}`,
          };
    const storedRetryable = exhausted === undefined ? retryable : (policy.exhaustedRetryable ?? false);
    const final = !retryable || exhausted !== undefined;
    const set = final ? { ...request.finalFailureFields?.(), ...changes.set } : changes.set;
    let record: LeaseRecord;
    try {
      record = await holder.final((lease, call) =>
        ledger.fail(lease, { error: verdict, retryable: storedRetryable, set, remove: changes.remove }, call),
      );
    } catch (writeError) {
      if (writeError instanceof LeaseLostError) return onError(writeError);
      // The verdict could not be stored: retry the delivery rather than let the message leave while
      // the ledger says PROCESSING. The lease expires meanwhile; the next holder decides again.
      log.warn({ err: writeError, code }, 'could not record the failure in the ledger; will retry');
      observe({ kind: 'retrying', code, failures: holder.view.failures });
      return { kind: 'retry', reason: code };
    }

    if (!retryable) {
      observe({ kind: 'failed-permanently', code, record });
      log.error({ err: error, code }, `${subject} failed permanently; FAILED in the ledger`);
      return after ? after(record) : { kind: 'dead-letter', reason: code, detail: message };
    }
    if (exhausted === undefined) {
      observe({ kind: 'retrying', code, failures });
      log.warn(
        { err: error, code, failures, maxAttempts: policy.maxAttempts },
        `${subject} failed transiently; will retry`,
      );
      return { kind: 'retry', reason: code };
    }
    observe({ kind: 'exhausted', code, reason: exhausted, record });
    log.error(
      { err: error, code, failures, receiveCount: ctx.receiveCount, reason: exhausted },
      `${subject} given up; FAILED in the ledger, the message goes to the DLQ`,
    );
    return request.onExhausted
      ? request.onExhausted(record, exhausted)
      : { kind: 'dead-letter', reason: exhausted, detail: (verdict as { message: string }).message };
  }

  /** Classifies a thrown error; see the policy above. Rethrows what only the consumer can settle. */
  async function onError(error: unknown): Promise<HandlerOutcome> {
    const abortReason: unknown = ctx.signal.aborted ? ctx.signal.reason : undefined;
    const lost =
      error instanceof LeaseLostError ||
      (abortReason instanceof HandlerAbortedError && abortReason.cause instanceof LeaseLostError);
    if (lost) {
      holder.abandon();
      const lostError = error instanceof LeaseLostError ? error : (abortReason as HandlerAbortedError).cause;
      if (lostError instanceof LeaseLostError && lostError.reason === 'cancelled') {
        // Not a failure and nothing to retry: the producer cancelled the job under us. No write
        // follows (the record is the producer's now); the next delivery is acknowledged as cancelled.
        const record =
          lostError.current === undefined
            ? undefined
            : toLeaseRecord(lostError.current, ledger.options.keyName, ledger.options.ttlAttribute);
        if (record !== undefined) observe({ kind: 'cancelled', record });
        log.warn({}, `${subject} cancelled while running; abandoned without side effects`);
        if (ctx.signal.aborted) throw error;
        return request.onCancelled && record !== undefined ? request.onCancelled(record) : { kind: 'ack' };
      }
      observe({ kind: 'lease-lost', error });
      log.warn({ err: error }, `lease lost; abandoning the ${subject} without side effects`);
      if (ctx.signal.aborted) throw error;
      return { kind: 'retry', reason: 'LEASE_LOST' };
    }
    if (abortReason instanceof HandlerAbortedError) {
      await handBack(abortReason);
      throw error;
    }
    return settleFailure(error, classifyError(error).kind === 'transient', {}, undefined);
  }

  /** Not a failure of the job: hand the lease back (or, on the last receive, record why it left). */
  async function handBack(reason: HandlerAbortedError): Promise<void> {
    try {
      if (lastReceive) {
        await holder.final((lease, call) =>
          ledger.fail(
            lease,
            {
              error: {
                code: 'RECEIVES_EXHAUSTED',
                message: `Interrupted (${reason.reason}) on the queue's last receive (${ctx.receiveCount} of ${policy.maxReceiveCount})`,
              },
              retryable: true,
            },
            call,
          ),
        );
      } else {
        await holder.final((lease, call) => ledger.release(lease, call));
      }
      log.warn({ reason: reason.reason }, `${subject} aborted; lease handed back`);
    } catch (error) {
      const settled = settledByThisLease(error);
      if (settled !== undefined) {
        // Our own terminal write had applied although its answer never came back (a lost response,
        // then the abort): nothing is held, and the next delivery finds the record settled.
        log.info({ status: settled }, `${subject} already ${settled} by this attempt; nothing to hand back`);
      } else {
        // The lease then simply expires; the next delivery defers until it does.
        log.warn({ err: error }, 'could not hand the lease back; it will expire');
      }
    } finally {
      observe({ kind: 'released', reason: reason.reason });
    }
  }
}

interface Holder {
  view: HeldLease;
  renew(): Promise<void>;
  /** Ends renewals and runs the final write after any renewal in flight, with the current lease. */
  final<T>(fn: (lease: Lease, call: CallOptions) => Promise<T>, last?: boolean): Promise<T>;
  /** No write of any kind from now on (the lease is lost). */
  abandon(): void;
}

/**
 * The holder's side of one lease: the current lease, and ONE queue for every write on it. A renewal
 * bumps the fencing version, so a write built on the version before it would be refused although
 * we still hold the lease; queued behind each other they never overlap.
 */
function hold(ctx: LeaseContext, ledger: LeaseLedger, initial: Lease): Holder {
  let lease = initial;
  let finished = false;
  let abandoned = false;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  // After an abort the handler's signal is spent: later writes get a fresh, short deadline.
  const call = (): CallOptions => ({
    signal: ctx.signal.aborted ? AbortSignal.timeout(AFTER_ABORT_TIMEOUT_MS) : ctx.signal,
  });
  const refuseIfAbandoned = (): void => {
    if (abandoned) throw new Error('lease abandoned: no further writes');
  };

  return {
    view: {
      get lease() {
        return lease;
      },
      record: initial.record,
      attempt: initial.attempts,
      failures: initial.failures,
      remainingMs: () => ledger.remainingMs(lease),
      assertLive(before, leadMs) {
        ctx.signal.throwIfAborted();
        ledger.assertLive(lease, before, leadMs);
      },
      update: (changes) =>
        serial(() => {
          refuseIfAbandoned();
          if (finished) throw new Error('lease already finished: no further updates');
          return ledger.update(lease, changes, call());
        }),
    },
    renew: () =>
      serial(async () => {
        if (finished || abandoned) return;
        lease = await ledger.renew(lease, call());
      }),
    final(fn, last = true) {
      // `last: false` keeps renewals going (a completion that may still be retried).
      if (last) finished = true;
      return serial(async () => {
        refuseIfAbandoned();
        const result = await fn(lease, call());
        finished = true;
        return result;
      });
    },
    abandon() {
      abandoned = true;
      finished = true;
    },
  };
}

/**
 * COMPLETED or FAILED when a refused write found the record settled by the very lease that wrote
 * (same owner and fencing version: a terminal write does not bump the version).
 */
function settledByThisLease(error: unknown): 'COMPLETED' | 'FAILED' | undefined {
  if (!(error instanceof LeaseLostError) || error.current === undefined) return undefined;
  const { status, leaseOwner, version } = error.current;
  const settled = status === 'COMPLETED' || status === 'FAILED' ? status : undefined;
  return settled !== undefined && leaseOwner === error.owner && version === error.version
    ? settled
    : undefined;
}
