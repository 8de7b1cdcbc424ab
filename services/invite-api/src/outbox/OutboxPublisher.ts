import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
} from '@opentelemetry/api';
import {
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageBatchResult,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { classifyBatchEntryFailure, classifyError, type Classification } from '@platform/errors';
import { createLingerBatcher } from '@platform/reliable-consumer';
import { writeTraceContext, type Logger } from '@platform/telemetry';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import type { MetricsPort } from '../service/ports.ts';
import type { OutboxStore } from '../store/OutboxStore.ts';
import { INVITATION_ID_ATTRIBUTE, tagInvitationSpan } from '../telemetry/invitationSpan.ts';

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
   * The request path's send, after the response and batched across requests: the message joins
   * the pending batch, which goes out as one SendMessageBatch when it holds 10 entries or when its
   * first entry has waited `lingerMs` (OUTBOX_SEND_LINGER_MS); the outbox items of the entries SQS
   * took are then removed in one BatchWriteItem. Each entry carries its own request's trace context.
   * Safe because the outbox item is committed before this is called: if the send fails, or the
   * process dies before it happens, the relay sends the item once its grace (OUTBOX_GRACE_MS) is
   * over. Returns at once, never throws.
   */
  publishAfterResponse(message: OutboxMessage): void;
  /** Sends the pending batch at once (no linger) and waits for every batch in flight (shutdown, tests). */
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
  /** How long a batch's first message waits for others before the batch is sent (OUTBOX_SEND_LINGER_MS). */
  lingerMs: number;
}

/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_MAX = 10;

const tracer = trace.getTracer('@platform/invite-api');

/** A message waiting in the batch, with the context of the request that published it. */
interface BatchEntry {
  message: OutboxMessage;
  context: Context;
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

  /** The verdict on a message SQS did not take (whole call or entry), logged as the relay logs it. */
  function notSent(message: OutboxMessage, verdict: Classification, error?: unknown): void {
    const fields = { ...(error === undefined ? {} : { err: error }), invitationId: message.invitationId };
    if (verdict.kind === 'permanent') {
      logger.error(
        { ...fields, code: verdict.code },
        'sms.requested not sent: SQS refused the request (not its content); the outbox keeps it until that is fixed',
      );
    } else {
      logger.warn({ ...fields, code: verdict.code }, 'sms.requested not sent; the outbox relay will retry');
    }
  }

  /** The sent entries' outbox items, in one BatchWriteItem; what is left the relay sends again. */
  async function removeSent(messages: readonly OutboxMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const ids = messages.map((message) => message.invitationId);
    let left: string[];
    let error: unknown;
    try {
      left = await outbox.removeMany(ids);
    } catch (caught) {
      left = ids;
      error = caught;
    }
    for (const invitationId of left) {
      logger.warn(
        { ...(error === undefined ? {} : { err: error }), invitationId },
        'sms.requested sent but its outbox item was not removed; the relay will send it again',
      );
    }
    return left.length;
  }

  /**
   * One SendMessageBatch in a span of its own (a root: the batch belongs to no single request),
   * linked to each entry's request. Each entry's traceparent is written here from its own request's
   * context: the aws-sdk instrumentation would otherwise inject the batch's `send` span into every
   * entry, and sms-sender would continue the batch's trace instead of the invitation's. The
   * propagator never overwrites a traceparent already in the attributes, so ours stays.
   */
  function sendBatch(batch: readonly BatchEntry[]): Promise<void> {
    const links: Link[] = batch.flatMap(({ message, context: entryContext }) => {
      const spanContext = trace.getSpanContext(entryContext);
      return spanContext === undefined
        ? []
        : [{ context: spanContext, attributes: { [INVITATION_ID_ATTRIBUTE]: message.invitationId } }];
    });
    return tracer.startActiveSpan(
      'outbox.publish batch',
      { kind: SpanKind.INTERNAL, links, attributes: { 'messaging.batch.message_count': batch.length } },
      ROOT_CONTEXT,
      async (span) => {
        try {
          let result: SendMessageBatchResult;
          try {
            result = await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: options.queueUrl,
                // The index is the entry id: invitation ids need not fit SQS's entry-id alphabet.
                Entries: batch.map(({ message, context: entryContext }, index) => ({
                  Id: String(index),
                  MessageBody: message.body,
                  MessageAttributes: writeTraceContext({ ...message.attributes }, entryContext),
                })),
              }),
              { abortSignal: AbortSignal.timeout(options.sendTimeoutMs) },
            );
          } catch (error) {
            // Nothing says which entries SQS has: all of them are left to the relay, which sends them
            // one by one (and marks failed the one whose content is refused, if that was the cause).
            const verdict = classifyError(error);
            for (const { message } of batch) notSent(message, verdict, error);
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: `SendMessageBatch failed (${verdict.code})`,
            });
            return;
          }
          const sent: OutboxMessage[] = [];
          for (const entry of result.Successful ?? []) {
            const message = batch[Number(entry.Id)]?.message;
            if (message !== undefined) sent.push(message);
          }
          const refusals: Promise<PublishOutcome>[] = [];
          for (const entry of result.Failed ?? []) {
            const message = batch[Number(entry.Id)]?.message;
            if (message === undefined) continue;
            const verdict = classifyBatchEntryFailure(entry);
            if (verdict.kind === 'permanent' && verdict.contentRefused === true)
              refusals.push(refused(message, verdict));
            else notSent(message, verdict);
          }
          const [notRemoved] = await Promise.all([removeSent(sent), ...refusals]);
          span.setAttributes({ 'outbox.batch.sent': sent.length, 'outbox.batch.not_removed': notRemoved });
          if (sent.length < batch.length)
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: `${batch.length - sent.length} of ${batch.length} not sent`,
            });
        } finally {
          span.end();
        }
      },
    );
  }

  // The linger, the 10-entry bound and the flush are the shared batcher's; what a batch does (one
  // SendMessageBatch, then one BatchWriteItem of the sent entries' outbox items) is sendBatch's.
  // Nothing is sent again by the batcher: an entry SQS did not take is the relay's from then on.
  const batcher = createLingerBatcher<BatchEntry, void>({
    lingerMs: options.lingerMs,
    maxEntries: SQS_BATCH_MAX,
    maxTries: 1,
    async send(batch) {
      try {
        await sendBatch(batch);
      } catch (error) {
        logger.warn({ err: error }, 'sms.requested batch failed; the outbox relay will send its messages');
      }
      return batch.map(() => ({ settle: undefined }));
    },
  });
  const queued = new Set<Promise<void>>();

  return {
    publish,
    publishAfterResponse(message) {
      // The active context is the request's (its trace); the entry keeps it for its traceparent.
      const entry = { message, context: context.active() };
      // setImmediate: the handler's promise chain (Koa writing the response) runs in this turn's
      // microtasks, so a batch this entry fills is serialised and signed after the response is on
      // its way.
      const adding = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => batcher.add(entry))
        .finally(() => queued.delete(adding));
      queued.add(adding);
    },
    async drain() {
      // Entries first reach the batcher, then everything queued goes out at once (no linger);
      // requests finishing meanwhile may add more: loop until nothing is on its way.
      do {
        await Promise.all(queued);
        await batcher.flush();
      } while (queued.size > 0);
    },
  };
}
