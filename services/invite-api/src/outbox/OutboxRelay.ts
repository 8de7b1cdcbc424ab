import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractTraceContext, type Logger } from '@platform/telemetry';
import type { PendingOutboxItem } from '../store/OutboxStore.ts';
import type { OutboxStore } from '../store/OutboxStore.ts';
import type { OutboxPublisher, PublishOutcome } from './OutboxPublisher.ts';

export interface OutboxRelayDeps {
  outbox: OutboxStore;
  publisher: OutboxPublisher;
  logger: Logger;
  /** Epoch ms. */
  clock: () => number;
}

export interface OutboxRelayOptions {
  /** Pause between passes while there is nothing to do. */
  intervalMs: number;
  /** Items per pass (one GSI query page). */
  batchSize: number;
  /** Retry delays: min(maxMs, baseMs * 2^attempts). */
  backoff: { baseMs: number; maxMs: number };
}

export interface RelayPass {
  due: number;
  claimed: number;
  sent: number;
  /** Not sent this time; retried after the backoff. */
  failed: number;
  /** Refused by SQS for good: marked failed, never retried. */
  refused: number;
}

export interface OutboxRelay {
  /** One pass over the due items; what the loop runs, exported for tests and tools. */
  runOnce(): Promise<RelayPass>;
  start(): void;
  /** Stops the loop and waits for the pass in progress. */
  stop(): Promise<void>;
}

/**
 * Sends outbox items the request path could not (SQS failed, or the process died between the
 * transaction and the send). Every replica runs one; a conditional claim keeps two relays from
 * sending the same item in the same round. Items are never dropped: an SQS that keeps failing shows
 * up as a growing outbox, logged on each failed pass. The one exception is a message SQS refuses
 * for its content (see OutboxPublisher): retrying cannot help, so it is marked failed with the reason.
 */
const tracer = trace.getTracer('@platform/invite-api');

export function createOutboxRelay(deps: OutboxRelayDeps, options: OutboxRelayOptions): OutboxRelay {
  const { outbox, publisher, logger, clock } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  /** Set by stop() only: runOnce() also runs on a relay never started (tests, tools). */
  let stopRequested = false;

  const retryDelay = (attempts: number) =>
    Math.min(options.backoff.maxMs, options.backoff.baseMs * 2 ** attempts);

  async function runOnce(): Promise<RelayPass> {
    const now = clock();
    const due = await outbox.listDue(now, options.batchSize);
    const pass: RelayPass = { due: due.length, claimed: 0, sent: 0, failed: 0, refused: 0 };
    for (const item of due) {
      // stop() waits for this pass: leave the rest of the batch to the next pass (here or on another
      // replica) rather than holding shutdown for up to batchSize sends.
      if (stopRequested) break;
      if (!(await outbox.claim(item, now + retryDelay(item.attempts)))) continue;
      pass.claimed++;
      const outcome = await send(item);
      if (outcome === 'sent') pass.sent++;
      else if (outcome === 'refused') pass.refused++;
      else pass.failed++;
    }
    if (pass.claimed > 0) logger.info({ outbox: pass }, 'outbox relay pass');
    return pass;
  }

  /**
   * One late send in its own span, tagged with the invitation: it is usually a trace of its own (the
   * aws-sdk instrumentation injects the trace context at send time, so the stored attributes carry
   * none) and the invitation.id tag is what ties it to the request. Should the stored attributes carry
   * a traceparent (no room for the instrumentation), the span joins that trace instead.
   */
  function send(item: PendingOutboxItem): Promise<PublishOutcome> {
    return tracer.startActiveSpan(
      'outbox.relay send',
      { kind: SpanKind.INTERNAL, attributes: { 'outbox.attempts': item.attempts } },
      extractTraceContext(item.attributes),
      async (span) => {
        try {
          const outcome = await publisher.publish(item);
          if (outcome === 'retry')
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'not sent; retried later' });
          if (outcome === 'refused')
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'refused by SQS; marked failed' });
          return outcome;
        } finally {
          span.end();
        }
      },
    );
  }

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .then((pass) => schedule(pass.due === options.batchSize ? 0 : options.intervalMs))
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'outbox relay pass failed; retrying');
          schedule(options.intervalMs);
        });
    }, delayMs);
    timer.unref();
  };

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      stopRequested = false;
      schedule(options.intervalMs);
    },
    async stop() {
      stopped = true;
      stopRequested = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
