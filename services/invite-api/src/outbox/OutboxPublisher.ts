import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyError, type Classification } from '@platform/errors';
import type { Logger } from '@platform/telemetry';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import type { MetricsPort } from '../service/ports.ts';
import type { OutboxStore } from '../store/OutboxStore.ts';
import { tagInvitationSpan } from '../telemetry/invitationSpan.ts';

/**
 * What became of one send:
 * - `sent`: SQS has the message (and the outbox item is removed, or will be sent again harmlessly);
 * - `retry`: not sent; the item stays pending and the relay tries again after its backoff;
 * - `refused`: SQS refused the content for good; the item is marked failed and so is the invitation.
 */
export type PublishOutcome = 'sent' | 'retry' | 'refused';

export interface OutboxPublisher {
  /**
   * Sends the message, then removes its outbox item. Never throws. A failed removal after a
   * successful send means the relay sends it again: sms-sender's ledger makes that duplicate harmless.
   */
  publish(message: OutboxMessage): Promise<PublishOutcome>;
  /**
   * publish() once the response in progress is written, without making anyone wait for it: the
   * request path's send. Safe because the outbox item is committed before this is called: if the
   * send fails, or the process dies before it happens, the relay sends the item once its grace
   * (OUTBOX_GRACE_MS) is over. Returns at once, never throws.
   */
  publishAfterResponse(message: OutboxMessage): void;
  /** Waits for the post-response sends in flight (shutdown, tests). */
  drain(): Promise<void>;
}

export interface OutboxPublisherDeps {
  sqs: Pick<SQSClient, 'send'>;
  outbox: OutboxStore;
  logger: Logger;
  metrics: MetricsPort;
  /** Epoch ms. */
  clock: () => number;
}

export interface OutboxPublisherOptions {
  queueUrl: string;
  /** Bound on one send including the SDK's own retries, so a slow SQS cannot hold a request open. */
  sendTimeoutMs: number;
}

/** The invitation's failure.code when the queue refused its SMS request. */
export const QUEUE_REFUSED_CODE = 'QUEUE_REFUSED';

export function createOutboxPublisher(
  deps: OutboxPublisherDeps,
  options: OutboxPublisherOptions,
): OutboxPublisher {
  const { sqs, outbox, logger, metrics, clock } = deps;

  /**
   * A refusal of the content itself (InvalidMessageContents, ...) comes back the same on every
   * retry: retrying it forever would leave the invitation `queued` for good, its quota and phone
   * guard spent. Other permanent errors (access denied, a missing queue) are the deployment's, not
   * the message's: the item waits for an operator's fix, retried with backoff and logged loudly.
   */
  async function refused(message: OutboxMessage, verdict: Classification): Promise<PublishOutcome> {
    const failure = {
      code: QUEUE_REFUSED_CODE,
      message: `SQS refused the sms.requested message (${verdict.code}): ${verdict.message}`.slice(0, 500),
    };
    try {
      const outcome = await outbox.markFailed(message.invitationId, failure, clock());
      if (outcome === 'not-pending') return 'refused';
      metrics.count('InvitationsUndeliverable', 1, { Reason: verdict.code });
      logger.error(
        { invitationId: message.invitationId, code: verdict.code, outcome },
        'sms.requested refused by SQS for good; outbox item and invitation marked failed',
      );
      return 'refused';
    } catch (error) {
      logger.warn(
        { err: error, invitationId: message.invitationId },
        'sms.requested refused by SQS but not yet marked failed; the relay will try again',
      );
      return 'retry';
    }
  }

  async function publish(message: OutboxMessage): Promise<PublishOutcome> {
    // Tags the relay's send span. On the request path (after the response) the active span is still
    // the request's, which the service already tagged; the send's own span is its child either way.
    tagInvitationSpan(message);
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: options.queueUrl,
          MessageBody: message.body,
          MessageAttributes: message.attributes,
        }),
        { abortSignal: AbortSignal.timeout(options.sendTimeoutMs) },
      );
    } catch (error) {
      const verdict = classifyError(error);
      if (verdict.kind === 'permanent' && verdict.contentRefused === true) return refused(message, verdict);
      if (verdict.kind === 'permanent') {
        logger.error(
          { err: error, invitationId: message.invitationId, code: verdict.code },
          'sms.requested not sent: SQS refused the request (not its content); the outbox keeps it until that is fixed',
        );
      } else {
        logger.warn(
          { err: error, invitationId: message.invitationId },
          'sms.requested not sent; the outbox relay will retry',
        );
      }
      return 'retry';
    }
    try {
      await outbox.remove(message.invitationId);
    } catch (error) {
      logger.warn(
        { err: error, invitationId: message.invitationId },
        'sms.requested sent but its outbox item was not removed; the relay will send it again',
      );
    }
    return 'sent';
  }

  const inFlight = new Set<Promise<unknown>>();
  return {
    publish,
    publishAfterResponse(message) {
      // setImmediate: the handler's promise chain (Koa writing the 201) runs in this turn's
      // microtasks, so the SDK's serialising and signing start after the response is on its way.
      // The active context (the request's trace) carries over, so the send stays in its trace.
      const pending = new Promise<PublishOutcome>((resolve) => setImmediate(() => resolve(publish(message))))
        .catch(() => 'retry' as const)
        .finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    },
    async drain() {
      await Promise.all(inFlight);
    },
  };
}
