import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { SmsStatus } from '@platform/contracts';
import { classifyError } from '@platform/errors';
import {
  withLease,
  type ConsumerLogger,
  type HandlerContext,
  type HandlerOutcome,
  type HeldLease,
  type LeasedWorkResult,
  type LeaseEvent,
  type LeaseRecord,
} from '@platform/reliable-consumer';
import { maskPhone, type Metrics } from '@platform/telemetry';
import { SmsTransientFailure, isSmsSendError, type SmsSendError } from './errors.ts';
import type { SmsProvider } from './providers/types.ts';
import { redactPhoneNumbers } from './providers/redact.ts';
import type { TokenBucket } from './tokenBucket.ts';
import { readSendState, type AttemptRecord, type FinalFailure, type SendLedger } from './sendLedger.ts';
import type { StatusPublisher } from './statusPublisher.ts';
import { renderSmsBody } from './template.ts';

/**
 * What to do when a takeover finds the previous attempt's outcome unknown (the process died, or
 * the call timed out, after the request may have reached the provider):
 * - `resend` (default): send again. At-least-once: the recipient may get the SMS twice, but an
 *   invitation is never silently lost (the user cannot re-invite that number for 24 h).
 * - `give-up`: at-most-once. Mark the invitation failed (SEND_OUTCOME_UNKNOWN) rather than risk
 *   a second SMS, e.g. for expensive destinations.
 */
export type UnknownOutcomePolicy = 'resend' | 'give-up';

export interface SmsSenderDeps {
  provider: SmsProvider;
  ledger: SendLedger;
  publisher: StatusPublisher;
  rateLimiter: TokenBucket;
  metrics: Pick<Metrics, 'count' | 'record'>;
  clock?: () => number;
  newId?: () => string;
  tracer?: Tracer;
}

export interface SmsSenderOptions {
  /** Identifies this process in lease owners (`<workerId>/<attemptId>`). */
  workerId: string;
  /** Failed provider attempts (ledger failures, not receives) before giving up with ATTEMPTS_EXHAUSTED. */
  maxAttempts: number;
  /**
   * The queue's RedrivePolicy maxReceiveCount (a higher backstop): the delivery with this receive
   * count is the last before SQS moves the message to the DLQ, so it ends with a status event
   * (RECEIVES_EXHAUSTED), not a retry.
   */
  maxReceiveCount: number;
  /** Per provider call; must stay well below the lease duration. */
  providerTimeoutMs: number;
  onUnknownOutcome: UnknownOutcomePolicy;
}

export interface SmsSender {
  handle(ctx: HandlerContext<'sms.requested'>): Promise<HandlerOutcome>;
}

const TRACER_NAME = '@platform/sms-sender';

/**
 * One `sms.requested` delivery, end to end: render -> pace (token bucket) -> acquire the send
 * ledger -> mark in flight -> provider call (its own CLIENT span) -> record the outcome -> publish
 * `sms.status`. Expected outcomes are return values (ack / retry / defer); only infrastructure
 * failures (DynamoDB, SQS) are thrown, and the consumer retries those with backoff.
 */
export function createSmsSender(deps: SmsSenderDeps, options: SmsSenderOptions): SmsSender {
  const { provider, ledger, publisher, rateLimiter, metrics } = deps;
  const clock = deps.clock ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const tracer = deps.tracer ?? trace.getTracer(TRACER_NAME);
  const dims = { Provider: provider.name };
  const iso = () => new Date(clock()).toISOString();

  async function publishSent(
    ctx: HandlerContext<'sms.requested'>,
    sent: { provider: SmsStatus['provider']; providerMessageId: string; occurredAt: string; attempt: number },
  ): Promise<void> {
    const { invitationId, correlationId } = ctx.payload;
    await publisher.publish(
      {
        invitationId,
        status: 'sent',
        provider: sent.provider,
        providerMessageId: sent.providerMessageId,
        occurredAt: sent.occurredAt,
        attempt: Math.min(100, Math.max(1, sent.attempt)),
        ...(correlationId === undefined ? {} : { correlationId }),
      },
      ctx.signal,
    );
  }

  async function publishFailed(
    ctx: HandlerContext<'sms.requested'>,
    failed: { provider: SmsStatus['provider']; error: FinalFailure; occurredAt: string; attempt: number },
  ): Promise<void> {
    const { invitationId, correlationId } = ctx.payload;
    await publisher.publish(
      {
        invitationId,
        status: 'failed',
        provider: failed.provider,
        error: {
          code: failed.error.code.slice(0, 64),
          message: redactPhoneNumbers(failed.error.message).slice(0, 1024) || failed.error.code,
        },
        occurredAt: failed.occurredAt,
        attempt: Math.min(100, Math.max(1, failed.attempt)),
        ...(correlationId === undefined ? {} : { correlationId }),
      },
      ctx.signal,
    );
  }

  /**
   * A request for an invitation whose send is already decided: never call the provider again, but
   * publish the recorded status again. The first publish may be what failed (SQS down after the
   * ledger write); invite-api applies a repeated status as a no-op.
   */
  async function replay(
    ctx: HandlerContext<'sms.requested'>,
    record: LeaseRecord,
    log: ConsumerLogger,
  ): Promise<HandlerOutcome> {
    metrics.count('SmsDuplicateSuppressed', 1, dims);
    const state = readSendState(record);
    const recordedProvider = state.provider ?? provider.name;
    if (record.status === 'COMPLETED') {
      log.info(
        { status: record.status, attempts: record.attempts },
        'duplicate request: SMS already sent, not sending again',
      );
      if (state.providerMessageId === undefined) {
        log.error({}, 'completed ledger record has no providerMessageId; cannot republish sent status');
        return { kind: 'ack' };
      }
      await publishSent(ctx, {
        provider: recordedProvider,
        providerMessageId: state.providerMessageId,
        occurredAt: state.sentAt ?? new Date(record.completedAt ?? clock()).toISOString(),
        attempt: record.attempts,
      });
    } else {
      log.info(
        { status: record.status, attempts: record.attempts },
        'duplicate request: SMS already failed, not sending again',
      );
      const error =
        state.finalFailure ??
        (record.lastError === undefined
          ? { code: 'PROVIDER_REJECTED', message: 'failed earlier' }
          : { code: record.lastError.code, message: record.lastError.message || record.lastError.code });
      await publishFailed(ctx, {
        provider: recordedProvider,
        error,
        occurredAt: new Date(record.updatedAt || clock()).toISOString(),
        attempt: record.attempts,
      });
    }
    return { kind: 'ack' };
  }

  /** A permanent verdict: FAILED (with the attempt log and the verdict, one write), then the status. */
  function finishFailed(
    ctx: HandlerContext<'sms.requested'>,
    held: HeldLease,
    attemptLog: AttemptRecord[],
    failure: FinalFailure,
    log: ConsumerLogger,
  ): LeasedWorkResult {
    return {
      kind: 'failed',
      error: failure,
      retryable: false,
      ...ledger.outcome(attemptLog, failure),
      after: async () => {
        metrics.count('SmsFailed', 1, dims);
        log.warn({ code: failure.code, reason: failure.message }, 'sms failed permanently; not retrying');
        await publishFailed(ctx, {
          provider: provider.name,
          error: failure,
          occurredAt: iso(),
          attempt: held.attempt,
        });
        return { kind: 'ack' };
      },
    };
  }

  /** The provider call inside its own CLIENT span, child of the consumer's process span. */
  async function callProvider(
    to: string,
    body: string,
    idempotencyKey: string,
    attempt: number,
    signal: AbortSignal,
  ): Promise<{ providerMessageId: string; latencyMs: number } | { error: SmsSendError; latencyMs: number }> {
    return tracer.startActiveSpan(
      `sms.send ${provider.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'sms.provider': provider.name,
          'sms.attempt': attempt,
          'sms.invitation_id': idempotencyKey,
        },
      },
      async (span) => {
        const started = performance.now();
        try {
          const { providerMessageId } = await provider.send({ to, body, idempotencyKey, signal });
          span.setAttribute('sms.provider_message_id', providerMessageId);
          return { providerMessageId, latencyMs: performance.now() - started };
        } catch (thrown) {
          // The port promises mapped errors only; anything else is a bug in an adapter: treat it as
          // an unknown outcome rather than a verdict.
          const error = isSmsSendError(thrown)
            ? thrown
            : new SmsTransientFailure({
                code: 'PROVIDER_UNAVAILABLE',
                message: `Unmapped provider error: ${classifyError(thrown).message}`,
                provider: provider.name,
                providerCode: classifyError(thrown).code,
                outcome: 'unknown',
                cause: thrown,
              });
          span.setAttribute('sms.error_code', error.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
          return { error, latencyMs: performance.now() - started };
        } finally {
          span.end();
        }
      },
    );
  }

  /** Steps 5-7 for an acquired lease: in-flight mark, provider call, outcome, status. */
  async function sendHeld(
    ctx: HandlerContext<'sms.requested'>,
    held: HeldLease,
    prepared: { body: string | undefined; renderFailure: FinalFailure | undefined; attemptId: string },
    log: ConsumerLogger,
  ): Promise<LeasedWorkResult> {
    const { body, renderFailure, attemptId } = prepared;
    const request = ctx.payload;
    const { invitationId } = request;
    const attempt = held.attempt;
    const state = readSendState(held.record);
    const attemptLog = [...state.attemptLog];

    let priorUnknown = attemptLog.at(-1)?.outcome === 'unknown';
    if (state.inFlight !== undefined) {
      // The previous holder wrote its in-flight mark and never recorded an outcome: it died (or
      // lost its lease) inside the provider call. Nobody can tell whether the SMS went out.
      attemptLog.push({ ...state.inFlight, outcome: 'unknown' });
      priorUnknown = true;
      log.warn(
        { previousAttempt: state.inFlight.attempt },
        'previous attempt ended inside the provider call; outcome unknown',
      );
    }

    if (state.finalFailure !== undefined) {
      // A permanent verdict was stored but the lease was never closed (an item of an older version).
      return finishFailed(ctx, held, attemptLog, state.finalFailure, log);
    }
    if (renderFailure !== undefined || body === undefined) {
      return finishFailed(
        ctx,
        held,
        attemptLog,
        renderFailure ?? { code: 'TEMPLATE_UNKNOWN', message: 'no body' },
        log,
      );
    }
    if (priorUnknown) {
      if (options.onUnknownOutcome === 'give-up') {
        return finishFailed(
          ctx,
          held,
          attemptLog,
          {
            code: 'SEND_OUTCOME_UNKNOWN',
            message:
              'A previous attempt may have been accepted by the provider; not resending (policy give-up)',
          },
          log,
        );
      }
      log.warn(
        {},
        'resending after an attempt with unknown outcome (policy resend): the recipient may get it twice',
      );
    }

    // Record SENDING before the call. If we die inside the call, the next holder finds this mark.
    const marker = { attempt, attemptId, provider: provider.name, startedAt: iso() };
    await held.update(ledger.inFlight(marker, attemptLog));

    // The last look before the side effect: a lease that ran out while we waited (a pause, a slow
    // write) may be someone else's now, and the provider call cannot be taken back.
    held.assertLive('the provider call');
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.providerTimeoutMs)]);
    const result = await callProvider(request.phoneNumber, body, invitationId, attempt, signal);
    const latencyMs = Math.round(result.latencyMs);
    metrics.record('ProviderLatencyMs', result.latencyMs, dims);

    if ('providerMessageId' in result) {
      attemptLog.push({
        ...marker,
        outcome: 'accepted',
        latencyMs,
        providerMessageId: result.providerMessageId,
      });
      log.info(
        { outcome: 'accepted', latencyMs, providerMessageId: result.providerMessageId },
        'sms attempt',
      );
      const sentAt = iso();
      // If this COMPLETED write fails for good, that is THE crash window in-process: the provider
      // accepted, the ledger does not say so. The in-flight mark stays, so the next delivery sees
      // an unknown outcome and applies the policy.
      return {
        kind: 'completed',
        attributes: ledger.sent(attemptLog, {
          providerMessageId: result.providerMessageId,
          sentAt,
          provider: provider.name,
        }),
        after: async () => {
          metrics.count('SmsSent', 1, dims);
          await publishSent(ctx, {
            provider: provider.name,
            providerMessageId: result.providerMessageId,
            occurredAt: sentAt,
            attempt,
          });
          return { kind: 'ack' };
        },
      };
    }

    const { error } = result;
    if (ctx.signal.aborted) {
      // Shutdown or a lost lease interrupted the call; withLease hands the lease back (in-flight
      // stays: that outcome IS unknown).
      log.warn({ outcome: 'unknown', latencyMs, code: error.code }, 'sms attempt interrupted');
      throw ctx.signal.reason;
    }
    if (!error.retryable) {
      attemptLog.push({ ...marker, outcome: 'failed-permanent', latencyMs, code: error.code });
      log.warn(
        { outcome: 'failed-permanent', latencyMs, code: error.code, providerCode: error.providerCode },
        'sms attempt',
      );
      return finishFailed(ctx, held, attemptLog, { code: error.code, message: error.message }, log);
    }

    const outcome = error.outcome === 'unknown' ? 'unknown' : 'failed-transient';
    attemptLog.push({ ...marker, outcome, latencyMs, code: error.code });
    log.warn({ outcome, latencyMs, code: error.code, providerCode: error.providerCode }, 'sms attempt');
    // withLease counts it against maxAttempts (and the last receive): retry, or ATTEMPTS_EXHAUSTED.
    return { kind: 'failed', error, retryable: true, ...ledger.outcome(attemptLog) };
  }

  return {
    async handle(ctx) {
      const request = ctx.payload;
      const { invitationId } = request;
      const recipient = maskPhone(request.phoneNumber);
      const log = ctx.log.child({ invitationId, recipient, provider: provider.name });

      let body: string | undefined;
      let renderFailure: FinalFailure | undefined;
      try {
        body = renderSmsBody(request);
      } catch (error) {
        const { code, message } = classifyError(error);
        renderFailure = { code, message };
      }

      // Pace BEFORE acquiring: a process that dies while waiting for a token then leaves no
      // "in flight" mark behind, so waiting can never turn into an unknown outcome.
      if (body !== undefined) {
        const waitedMs = await rateLimiter.take(ctx.signal);
        if (waitedMs > 0) log.debug({ waitedMs: Math.round(waitedMs) }, 'waited for the send rate limit');
      }

      const attemptId = newId();
      const observe = (event: LeaseEvent): void => {
        if (event.kind === 'retrying') metrics.count('SmsRetried', 1, dims);
      };
      return withLease(
        { ...ctx, log },
        ledger.ledger,
        {
          key: invitationId,
          owner: `${options.workerId}/${attemptId}`,
          subject: 'invitation',
          policy: {
            maxAttempts: options.maxAttempts,
            maxReceiveCount: options.maxReceiveCount,
            // Once reported failed, never sent again: a later duplicate request replays the verdict.
            exhaustedRetryable: false,
          },
          attributes: { provider: provider.name, recipient },
          onCompleted: (record) => replay(ctx, record, log),
          onFailed: (record) => replay(ctx, record, log),
          onExhausted: async (record, reason) => {
            metrics.count('SmsFailed', 1, dims);
            const failure = {
              code: reason,
              message: record.lastError?.message || reason,
            };
            log.warn({ code: failure.code, reason: failure.message }, 'sms failed permanently; not retrying');
            await publishFailed(ctx, {
              provider: provider.name,
              error: failure,
              occurredAt: iso(),
              attempt: record.attempts,
            });
            return { kind: 'ack' };
          },
          observe,
        },
        (held) =>
          sendHeld(ctx, held, { body, renderFailure, attemptId }, log.child({ attempt: held.attempt })),
      );
    },
  };
}
