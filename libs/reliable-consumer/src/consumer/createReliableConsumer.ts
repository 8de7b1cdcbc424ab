import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  ContractViolation,
  decodeMessage,
  deadLetterReasonOf,
  type ContractName,
  type DecodedMessageOf,
} from '@platform/contracts';
import { classifyError } from '@platform/errors';
import { withProcessSpan } from '@platform/telemetry';
import { Consumer } from 'sqs-consumer';
import { HandlerAbortedError } from '../errors.ts';
import { backoffDelaySeconds } from './backoff.ts';
import { sendToDeadLetterQueue } from './dlq.ts';
import { startHeartbeat } from './heartbeat.ts';
import { Slots } from './slots.ts';
import type {
  ConsumerLogger,
  HandlerContext,
  HandlerOutcome,
  OutcomeEvent,
  ReliableConsumer,
  ReliableConsumerDeps,
  ReliableConsumerOptions,
} from './types.ts';
import { resolveOptions } from './validateOptions.ts';

// Bounds every settling SQS call (delete, visibility, DLQ send) so shutdown can never hang on one.
const SETTLE_TIMEOUT_MS = 10_000;
// After aborting handlers at the shutdown deadline, how long they get to unwind before we release for them.
const ABORT_GRACE_MS = 2_000;

type Settlement =
  | HandlerOutcome
  | { kind: 'released'; reason: string }
  | { kind: 'abandoned'; reason: string; delaySeconds: number };

interface InFlight {
  controller: AbortController;
  /** Set once an SQS call settled the message, so a late handler never settles it twice. */
  settled: boolean;
  message: Message;
  done: Promise<void>;
}

/**
 * An SQS consumer that turns at-least-once delivery into per-message outcomes.
 *
 * sqs-consumer runs the long-poll loop (abortable receive, error pauses, events); everything after
 * the receive is ours, because its handler model awaits the whole batch before polling again (so
 * concurrency == batch size), re-extends visibility blindly and only reports heartbeat failures.
 * Here the poller receives at most as many messages as there are free handler slots, each message
 * runs on its own (a poison neighbour never fails the rest), and each is settled exactly once:
 * delete (ack), visibility change (retry with backoff, defer, release) or DLQ copy then delete.
 */
export function createReliableConsumer<C extends ContractName>(
  deps: ReliableConsumerDeps,
  options: ReliableConsumerOptions<C>,
): ReliableConsumer {
  const opts = resolveOptions(options);
  const { sqs } = deps;
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ consumer: opts.name });
  const slots = new Slots(opts.concurrency);
  const inFlight = new Set<InFlight>();
  const accepted: ReadonlySet<string> = new Set(opts.contracts);

  let running = false;
  let stopping = false;
  let lastPollAt: number | undefined;
  let pollStartedAt = clock();
  // What the next ReceiveMessage asks for; never more than the free slots (see preReceive).
  let nextBatchSize = Math.min(opts.batchSize, opts.concurrency);
  const stopWaiting = new AbortController();

  const settleSignal = (): AbortSignal => AbortSignal.timeout(SETTLE_TIMEOUT_MS);

  // Visibility asked later than this (seconds from now) would pass the ceiling since this receive.
  const ceilingLeft = (receivedAt: number): number =>
    Math.max(0, Math.floor(opts.maxVisibilitySeconds - (clock() - receivedAt) / 1000));

  async function changeVisibility(message: Message, seconds: number): Promise<void> {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: opts.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
      { abortSignal: settleSignal() },
    );
  }

  async function deleteMessage(message: Message): Promise<void> {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: opts.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      {
        abortSignal: settleSignal(),
      },
    );
  }

  /** Applies one settlement with SQS; returns the error instead of throwing (the loop must survive). */
  async function settle(message: Message, settlement: Settlement, receivedAt: number): Promise<unknown> {
    try {
      switch (settlement.kind) {
        case 'ack':
          await deleteMessage(message);
          return undefined;
        case 'retry':
        case 'defer':
        case 'abandoned': {
          const wanted =
            settlement.kind === 'retry' ? (settlement.delaySeconds ?? 0) : settlement.delaySeconds;
          await changeVisibility(message, Math.min(wanted, ceilingLeft(receivedAt)));
          return undefined;
        }
        case 'released':
          await changeVisibility(message, 0);
          return undefined;
        case 'dead-letter':
          // Copy first, delete second: if the copy fails the original stays and is retried, never lost.
          await sendToDeadLetterQueue(
            sqs,
            opts.dlqUrl,
            message,
            {
              reason: settlement.reason,
              detail: settlement.detail,
              sourceQueueUrl: opts.queueUrl,
              failedAt: new Date(clock()),
            },
            settleSignal(),
          );
          await deleteMessage(message);
          return undefined;
      }
    } catch (error) {
      return error;
    }
  }

  function report(event: OutcomeEvent, messageLog: ConsumerLogger): void {
    try {
      opts.onOutcome?.(event);
    } catch (error) {
      messageLog.error({ err: error }, 'onOutcome callback threw; ignored');
    }
  }

  /** The service's domain ids (jobId, invitationId) for this message, when it gives any. */
  function domainBindings(
    messageLog: ConsumerLogger,
    decoded: ReturnType<typeof decodeMessage>,
  ): Record<string, unknown> | undefined {
    if (opts.logBindings === undefined) return undefined;
    try {
      // Only called after the accepted-contract check, so `decoded` is one of C (see the cast below).
      return opts.logBindings(decoded as DecodedMessageOf<C>);
    } catch (error) {
      messageLog.error({ err: error }, 'logBindings threw; logging without domain ids');
      return undefined;
    }
  }

  /** Maps a thrown error to a settlement through the one classification table. */
  function settlementForError(error: unknown, signal: AbortSignal, receiveCount: number): Settlement {
    if (signal.aborted && signal.reason instanceof HandlerAbortedError) {
      const aborted = signal.reason;
      if (aborted.reason === 'shutdown') return { kind: 'released', reason: 'SHUTDOWN' };
      // Lost the message or the lease: come back after a backoff; the ledger decides then.
      return {
        kind: 'abandoned',
        reason: aborted.reason === 'visibility-ceiling' ? 'VISIBILITY_CEILING' : 'HEARTBEAT_FAILED',
        delaySeconds: backoffDelaySeconds(receiveCount, opts.backoff, random),
      };
    }
    const classified = classifyError(error);
    if (classified.kind === 'permanent') {
      return { kind: 'dead-letter', reason: classified.code, detail: classified.message };
    }
    return {
      kind: 'retry',
      reason: classified.code,
      delaySeconds: backoffDelaySeconds(receiveCount, opts.backoff, random),
    };
  }

  async function processMessage(message: Message, entry: InFlight, receivedAt: number): Promise<void> {
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
    const sentAt = Number(message.Attributes?.SentTimestamp ?? clock());
    const queueWaitMs = Math.max(0, receivedAt - sentAt);
    let messageLog = log.child({ messageId: message.MessageId, receiveCount });
    const { controller } = entry;

    let decoded: ReturnType<typeof decodeMessage> | undefined;
    let violation: ContractViolation | undefined;
    try {
      decoded = decodeMessage(message);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      violation = error;
    }
    const contract = decoded?.contract ?? violation?.contract;
    let bindings: Record<string, unknown> | undefined;

    await withProcessSpan(
      message,
      { queueUrl: opts.queueUrl, contract: contract ?? 'unknown' },
      async (span) => {
        const started = clock();
        let settlement: Settlement;
        if (violation !== undefined) {
          const { reason, detail } = deadLetterReasonOf(violation);
          settlement = { kind: 'dead-letter', reason, detail };
        } else if (decoded === undefined || !accepted.has(decoded.contract)) {
          settlement = {
            kind: 'dead-letter',
            reason: 'UNEXPECTED_CONTRACT',
            detail: `${opts.name} accepts ${[...accepted].join(', ')}, got ${decoded?.contract ?? 'nothing'}`,
          };
        } else {
          bindings = domainBindings(messageLog, decoded);
          if (bindings !== undefined) messageLog = messageLog.child(bindings);
          const hooks: Array<() => Promise<void>> = [];
          const heartbeat = startHeartbeat({
            sqs,
            queueUrl: opts.queueUrl,
            receiptHandle: message.ReceiptHandle ?? '',
            receivedAt,
            clock,
            intervalSeconds: opts.heartbeatIntervalSeconds,
            visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds,
            maxVisibilitySeconds: opts.maxVisibilitySeconds,
            hooks,
            controller,
            log: messageLog,
          });
          const ctx = {
            ...decoded,
            message,
            receiveCount,
            sentAt,
            signal: controller.signal,
            log: messageLog,
            span,
            onHeartbeat: (fn: () => Promise<void>) => void hooks.push(fn),
            // The runtime check above (accepted.has) is what narrows `decoded` to C; TypeScript cannot
            // follow a Set lookup into a generic distributive type, hence the one cast.
          } as unknown as HandlerContext<C>;
          try {
            settlement = await opts.handler(ctx);
          } catch (error) {
            settlement = settlementForError(error, controller.signal, receiveCount);
            messageLog.warn({ err: error, settlement: settlement.kind }, 'handler failed');
          } finally {
            await heartbeat.stop();
          }
          if (settlement.kind === 'retry' && settlement.delaySeconds === undefined) {
            settlement = {
              ...settlement,
              delaySeconds: backoffDelaySeconds(receiveCount, opts.backoff, random),
            };
          }
        }
        if (
          settlement.kind === 'dead-letter' &&
          (violation !== undefined || decoded === undefined || !accepted.has(decoded.contract)) &&
          opts.onPoison !== undefined
        ) {
          await opts
            .onPoison({ message, reason: settlement.reason, detail: settlement.detail ?? '' })
            .catch((error: unknown) =>
              messageLog.warn({ err: error }, 'onPoison failed; dead-lettering anyway'),
            );
        }
        const durationMs = clock() - started;

        // A shutdown past its deadline may already have released this message for us.
        if (entry.settled) return;
        entry.settled = true;
        const settleError = await settle(message, settlement, receivedAt);

        span.setAttribute('messaging.outcome', settlement.kind);
        if (settlement.kind === 'dead-letter') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: settlement.reason });
        }
        const reason = 'reason' in settlement ? settlement.reason : undefined;
        const delaySeconds = 'delaySeconds' in settlement ? settlement.delaySeconds : undefined;
        const logFields = { outcome: settlement.kind, reason, delaySeconds, durationMs, contract };
        if (settleError === undefined) {
          messageLog[settlement.kind === 'dead-letter' ? 'warn' : 'info'](logFields, 'message settled');
        } else {
          // Not fatal: SQS redelivers after visibility lapses, and the handler's idempotency absorbs it.
          messageLog.error({ ...logFields, err: settleError }, 'settling the message with SQS failed');
        }
        report(
          {
            messageId: message.MessageId ?? '',
            contract,
            receiveCount,
            kind: settlement.kind,
            reason,
            delaySeconds,
            durationMs,
            queueWaitMs,
            settleError,
            bindings,
          },
          messageLog,
        );
      },
    );
  }

  /** Released at once, never held: a stopping consumer must not sit on messages another could run. */
  async function releaseUnrun(message: Message, reason: string): Promise<void> {
    const settleError = await settle(message, { kind: 'released', reason }, clock());
    const messageLog = log.child({ messageId: message.MessageId });
    if (settleError !== undefined)
      messageLog.error({ err: settleError }, 'releasing an unrun message failed');
    report(
      {
        messageId: message.MessageId ?? '',
        contract: message.MessageAttributes?.contract?.StringValue,
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
        kind: 'released',
        reason,
        durationMs: 0,
        queueWaitMs: 0,
        settleError,
      },
      messageLog,
    );
  }

  function dispatch(messages: Message[]): void {
    const receivedAt = pollStartedAt;
    for (const message of messages) {
      if (stopping || slots.free() === 0) {
        // free() === 0 cannot happen (we ask for at most the free slots) but must not throw away a message.
        void releaseUnrun(message, stopping ? 'STOPPING' : 'NO_SLOT');
        continue;
      }
      slots.take();
      const entry: InFlight = {
        controller: new AbortController(),
        settled: false,
        message,
        done: Promise.resolve(),
      };
      entry.done = processMessage(message, entry, receivedAt)
        .catch((error: unknown) => {
          // Only a bug gets here (process() turns every outcome into a settlement); keep polling.
          log.error({ err: error, messageId: message.MessageId }, 'unexpected failure processing a message');
        })
        .finally(() => {
          inFlight.delete(entry);
          slots.give();
        });
      inFlight.add(entry);
    }
  }

  const poller = Consumer.create({
    queueUrl: opts.queueUrl,
    // sqs-consumer only ever calls send() (checked in its source: receive, visibility, delete), so
    // the narrower port is enough; its option is typed as the full client.
    sqs: sqs as SQSClient,
    batchSize: nextBatchSize,
    waitTimeSeconds: opts.waitTimeSeconds,
    visibilityTimeout: opts.visibilityTimeoutSeconds,
    messageSystemAttributeNames: [
      'ApproximateReceiveCount',
      'SentTimestamp',
      'ApproximateFirstReceiveTimestamp',
    ],
    messageAttributeNames: ['All'],
    // We delete (or dead-letter, or back off) per message ourselves, after each handler.
    shouldDeleteMessages: false,
    preReceiveMessageCallback: async () => {
      // The ReceiveMessage below asks for nextBatchSize; wait until that many handlers could start.
      await slots.waitFor(nextBatchSize, stopWaiting.signal);
      pollStartedAt = clock();
    },
    postReceiveMessageCallback: async () => {
      lastPollAt = clock();
    },
    handleMessageBatch: async (messages) => {
      dispatch(messages);
      nextBatchSize = Math.max(1, Math.min(opts.batchSize, slots.free()));
      poller.updateOption('batchSize', nextBatchSize);
      // Nothing for sqs-consumer to delete: each message is settled on its own.
      return [];
    },
  });
  poller.on('error', (error) => {
    if (stopping) return;
    log.error({ err: error }, 'polling failed; retrying');
  });

  return {
    start() {
      if (stopping) throw new Error(`Consumer ${opts.name} was stopped; create a new one`);
      if (running) return;
      running = true;
      log.info({ queueUrl: opts.queueUrl, concurrency: opts.concurrency }, 'consumer started');
      poller.start();
    },

    async stop(stopOptions = {}) {
      if (!running || stopping) return;
      const timeoutMs = stopOptions.timeoutMs ?? opts.shutdownTimeoutMs;
      stopping = true;
      // Abort the long poll now: waiting up to 20 s for it would only hold messages we will release.
      poller.stop({ abort: true });
      stopWaiting.abort(new Error('consumer stopping'));
      log.info({ inFlight: inFlight.size, timeoutMs }, 'consumer stopping');

      const drained = slots.drained();
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(deadline);

      if (timedOut) {
        const late = [...inFlight];
        log.warn({ inFlight: late.length }, 'shutdown deadline passed; aborting in-flight handlers');
        for (const entry of late) {
          entry.controller.abort(new HandlerAbortedError('shutdown', 'Consumer shutting down'));
        }
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(late.map((entry) => entry.done)),
          new Promise((resolve) => (grace = setTimeout(resolve, ABORT_GRACE_MS))),
        ]);
        clearTimeout(grace);
        // Handlers that ignore their signal: release their messages for them, so another worker can
        // start at once instead of after the visibility timeout.
        await Promise.all(
          late
            .filter((entry) => !entry.settled)
            .map(async (entry) => {
              entry.settled = true;
              await releaseUnrun(entry.message, 'SHUTDOWN_HANDLER_UNRESPONSIVE');
            }),
        );
      }
      running = false;
      log.info({}, 'consumer stopped');
    },

    isRunning: () => running && !stopping,
    get lastPollAt() {
      return lastPollAt;
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
