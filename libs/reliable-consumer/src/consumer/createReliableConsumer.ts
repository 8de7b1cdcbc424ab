import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
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
import { AckWithheldError, HandlerAbortedError } from '../errors.ts';
import { backoffDelaySeconds } from './backoff.ts';
import { createDeleteBatcher } from './deleteBatcher.ts';
import { sendToDeadLetterQueue } from './dlq.ts';
import { startHeartbeat } from './heartbeat.ts';
import { HeldMessages, type HeldMessage } from './heldMessages.ts';
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

// A message is copied to the DLQ only while at least this share of its visibility timeout is left
// by our clock (room for the copy calls themselves and for skew between our clock and SQS's).
// With less, another consumer may hold it by the time the copy lands, and make its own copy.
const DLQ_COPY_VISIBILITY_SHARE = 0.2;

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
  /** Gives the handler slot back (once): called when the handler is done, before the settling call. */
  freeSlot: () => void;
}

/**
 * An SQS consumer that turns at-least-once delivery into per-message outcomes.
 *
 * sqs-consumer runs the long-poll loop (abortable receive, error pauses, events); everything after
 * the receive is ours, because its handler model awaits the whole batch before polling again (so
 * concurrency == batch size), re-extends visibility blindly and only reports heartbeat failures.
 * Here each message runs on its own (a poison neighbour never fails the rest), and each is settled
 * exactly once: delete (ack), visibility change (retry with backoff, defer, release) or DLQ copy then
 * delete.
 *
 * Receives: the poller asks for the free slots plus `prefetch` (up to 10) and holds what exceeds the
 * free slots, in arrival order, extending their visibility while they wait (HeldMessages) and
 * releasing them at once on stop. It polls again only once nothing is held, so with a prefetch a
 * busy consumer's receives come back full instead of one message per freed slot. Deletes of acked
 * messages go through a DeleteMessageBatch linger when `deleteLingerMs` > 0; the DLQ path never does
 * (see settle).
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
  const settleSignal = (): AbortSignal => AbortSignal.timeout(SETTLE_TIMEOUT_MS);
  const held = new HeldMessages({
    sqs,
    queueUrl: opts.queueUrl,
    clock,
    intervalSeconds: opts.heartbeatIntervalSeconds,
    visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds,
    maxVisibilitySeconds: opts.maxVisibilitySeconds,
    signal: settleSignal,
    log,
    onDropped: (dropped, reason, error) => {
      const messageLog = log.child({ messageId: dropped.message.MessageId });
      messageLog.warn({ err: error, reason }, 'held message given up before it ran');
      reportUnrun(
        dropped.message,
        reason === 'HELD_AT_VISIBILITY_CEILING' ? 'released' : 'abandoned',
        reason,
        error,
        messageLog,
      );
      // The poller may be waiting for the hold to empty.
      slots.notify();
    },
  });
  const deleter =
    opts.deleteLingerMs > 0
      ? createDeleteBatcher({
          sqs,
          queueUrl: opts.queueUrl,
          lingerMs: opts.deleteLingerMs,
          signal: settleSignal,
        })
      : undefined;
  // Room for more messages: free slots plus what the prefetch may still hold. It never shrinks while
  // a receive is in flight (starting a held message moves it from held to a slot), so asking for it
  // at send time never brings more than fits.
  const room = (): number => slots.free() + opts.prefetch - held.size;
  const accepted: ReadonlySet<string> = new Set(opts.contracts);

  let running = false;
  let stopping = false;
  let lastPollAt: number | undefined;
  let pollStartedAt = clock();
  const stopWaiting = new AbortController();

  // Visibility asked later than this (seconds from now) would pass the ceiling since this receive.
  const ceilingLeft = (receivedAt: number): number =>
    Math.max(0, Math.floor(opts.maxVisibilitySeconds - (clock() - receivedAt) / 1000));

  /** Too little of the message's visibility left (by our clock) to copy it to the DLQ safely. */
  function visibilityRunningOut(visibleUntil: number): boolean {
    return visibleUntil - clock() < opts.visibilityTimeoutSeconds * 1000 * DLQ_COPY_VISIBILITY_SHARE;
  }

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

  /** An ack's delete: batched when a linger is set (a failed entry rejects, never counts as deleted). */
  async function ackDelete(message: Message): Promise<void> {
    if (deleter === undefined) return deleteMessage(message);
    await deleter.delete(message.ReceiptHandle ?? '');
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
          if (settlement.deleteAfter !== undefined && !(await settlement.deleteAfter.catch(() => false))) {
            return new AckWithheldError();
          }
          await ackDelete(message);
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
          // The delete is its own DeleteMessage, never the ack linger: between the copy and the delete
          // a crash (or a lapse of visibility) copies the message again on its next delivery, so that
          // window is kept as short as one call; an SQS standard queue cannot deduplicate the copy.
          // Before the copy, SQS itself confirms the message is still ours: the visibility is set
          // afresh with our receipt handle, which fails once the message lapsed back to the queue
          // or another consumer received it (whose own delivery then makes the one copy). Our
          // clock's check above cannot see a pause that falls after it; this claim is SQS's.
          await changeVisibility(
            message,
            Math.max(1, Math.min(opts.visibilityTimeoutSeconds, ceilingLeft(receivedAt))),
          );
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

  async function processMessage(
    message: Message,
    entry: InFlight,
    receivedAt: number,
    extendedAt: number | undefined,
  ): Promise<void> {
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

    // An ack whose delete waits out the batch linger finishes after the span (see below).
    let lingering: { span: Span; finish: () => Promise<void> } | undefined;
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
            ...(extendedAt === undefined ? {} : { extendedAt }),
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
            if (
              settlement.kind === 'dead-letter' &&
              controller.signal.reason instanceof HandlerAbortedError &&
              controller.signal.reason.reason === 'heartbeat-failed'
            ) {
              // The message may no longer be ours (its visibility lapsed, e.g. a pause, and another
              // worker may hold it): a DLQ copy now would be a second one beside that worker's, which
              // a standard queue cannot deduplicate. Leave it: its next delivery dead-letters it.
              messageLog.warn(
                { reason: settlement.reason },
                'dead-letter skipped: the message was lost while its handler ran',
              );
              settlement = settlementForError(controller.signal.reason, controller.signal, receiveCount);
            }
          } catch (error) {
            settlement = settlementForError(error, controller.signal, receiveCount);
            messageLog.warn({ err: error, settlement: settlement.kind }, 'handler failed');
          } finally {
            await heartbeat.stop();
          }
          if (settlement.kind === 'dead-letter' && visibilityRunningOut(heartbeat.visibleUntil())) {
            // The verdict came late (the process was paused, or the handler outran its heartbeat):
            // the message may be visible again, or another consumer's. Leave it for that delivery.
            messageLog.warn(
              { reason: settlement.reason },
              'dead-letter skipped: the message may be visible again (its visibility ran out meanwhile)',
            );
            settlement = { kind: 'abandoned', reason: 'VISIBILITY_LAPSED', delaySeconds: 0 };
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
          // No heartbeat runs for a message that never reached the handler: if onPoison (a ledger
          // write) outlasted the visibility, e.g. across a pause, another consumer may hold the
          // message now and make its own DLQ copy. Ours would be a second one: leave it instead.
          const visibleSince = extendedAt ?? receivedAt;
          if (visibilityRunningOut(visibleSince + opts.visibilityTimeoutSeconds * 1000)) {
            messageLog.warn(
              { reason: settlement.reason },
              'dead-letter skipped: the message may be visible again (its visibility ran out meanwhile)',
            );
            settlement = { kind: 'abandoned', reason: 'VISIBILITY_LAPSED', delaySeconds: 0 };
          }
        }
        const durationMs = clock() - started;

        // A shutdown past its deadline may already have released this message for us.
        if (entry.settled) return;
        entry.settled = true;
        // The handler is done: its slot may take the next message while SQS settles this one (an
        // ack's delete may wait out the batch linger).
        entry.freeSlot();
        // settle() never rejects: it returns the SQS error.
        const settling = settle(message, settlement, receivedAt);

        span.setAttribute('messaging.outcome', settlement.kind);
        if (settlement.kind === 'dead-letter') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: settlement.reason });
        }
        const reason = 'reason' in settlement ? settlement.reason : undefined;
        const delaySeconds = 'delaySeconds' in settlement ? settlement.delaySeconds : undefined;
        const logFields = { outcome: settlement.kind, reason, delaySeconds, durationMs, contract };
        const finish = async (): Promise<void> => {
          const settleError = await settling;
          if (settleError === undefined) {
            messageLog[settlement.kind === 'dead-letter' ? 'warn' : 'info'](logFields, 'message settled');
          } else if (settleError instanceof AckWithheldError) {
            messageLog.warn(logFields, 'message left for redelivery: the handler withheld its delete');
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
        };
        // The span measures the message's processing, not the wait for neighbours in the delete
        // batch (or for the handler's deleteAfter): such an ack ends its span now and is logged and
        // reported once SQS answered.
        if (settlement.kind === 'ack' && (deleter !== undefined || settlement.deleteAfter !== undefined)) {
          lingering = { span, finish };
          return;
        }
        await finish();
      },
    );
    if (lingering !== undefined) {
      // Under the (ended) span's context, so the `message settled` line keeps the trace ids.
      await context.with(trace.setSpan(context.active(), lingering.span), lingering.finish);
    }
  }

  function reportUnrun(
    message: Message,
    kind: 'released' | 'abandoned',
    reason: string,
    settleError: unknown,
    messageLog: ConsumerLogger,
  ): void {
    report(
      {
        messageId: message.MessageId ?? '',
        contract: message.MessageAttributes?.contract?.StringValue,
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
        kind,
        reason,
        durationMs: 0,
        queueWaitMs: 0,
        settleError,
      },
      messageLog,
    );
  }

  /** Released at once, never held: a stopping consumer must not sit on messages another could run. */
  async function releaseUnrun(message: Message, reason: string): Promise<void> {
    const settleError = await settle(message, { kind: 'released', reason }, clock());
    const messageLog = log.child({ messageId: message.MessageId });
    if (settleError !== undefined)
      messageLog.error({ err: settleError }, 'releasing an unrun message failed');
    reportUnrun(message, 'released', reason, settleError, messageLog);
  }

  /** Hands every held message back (visibility 0): on stop, so other consumers can run them now. */
  async function releaseHeld(reason: string): Promise<void> {
    for (const { held: h, error } of await held.releaseAll()) {
      const messageLog = log.child({ messageId: h.message.MessageId });
      if (error !== undefined) messageLog.error({ err: error }, 'releasing a held message failed');
      reportUnrun(h.message, 'released', reason, error, messageLog);
    }
  }

  function run(message: Message, receivedAt: number, extendedAt: number | undefined): void {
    slots.take();
    let slotFree = false;
    const entry: InFlight = {
      controller: new AbortController(),
      settled: false,
      message,
      done: Promise.resolve(),
      freeSlot: () => {
        if (slotFree) return;
        slotFree = true;
        slots.give();
        startHeld();
      },
    };
    entry.done = processMessage(message, entry, receivedAt, extendedAt)
      .catch((error: unknown) => {
        // Only a bug gets here (process() turns every outcome into a settlement); keep polling.
        log.error({ err: error, messageId: message.MessageId }, 'unexpected failure processing a message');
      })
      .finally(() => {
        inFlight.delete(entry);
        entry.freeSlot();
      });
    inFlight.add(entry);
  }

  /** Starts held messages while slots are free (FIFO: the oldest receive first). */
  function startHeld(): void {
    while (!stopping && slots.free() > 0) {
      const next: HeldMessage | undefined = held.take();
      if (next === undefined) return;
      run(next.message, next.receivedAt, next.extendedAt);
    }
  }

  function dispatch(messages: Message[]): void {
    const receivedAt = pollStartedAt;
    for (const message of messages) {
      if (!stopping && slots.free() > 0) {
        run(message, receivedAt, undefined);
      } else if (!stopping && held.size < opts.prefetch) {
        held.add(message, receivedAt);
      } else {
        // No slot and no room to hold cannot happen (we ask for at most room()), but must not lose a message.
        void releaseUnrun(message, stopping ? 'STOPPING' : 'NO_SLOT');
      }
    }
  }

  // sqs-consumer builds the ReceiveMessage input before its preReceive callback has waited for room,
  // so the count is set here, at send time, to what fits then (free slots + prefetch room, max batchSize).
  const pollerSqs: Pick<SQSClient, 'send'> = {
    send: ((command: unknown, options?: unknown) => {
      const sized =
        command instanceof ReceiveMessageCommand
          ? new ReceiveMessageCommand({
              ...command.input,
              MaxNumberOfMessages: Math.max(1, Math.min(opts.batchSize, room())),
            })
          : command;
      return (sqs.send as (c: unknown, o?: unknown) => Promise<unknown>)(sized, options);
    }) as SQSClient['send'],
  };

  const poller = Consumer.create({
    queueUrl: opts.queueUrl,
    // sqs-consumer only ever calls send() (checked in its source: receive, visibility, delete), so
    // the narrower port is enough; its option is typed as the full client.
    sqs: pollerSqs as SQSClient,
    batchSize: opts.batchSize,
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
      // Poll once nothing is held (held messages run first) and at least one more message fits.
      await slots.waitUntil(() => held.size === 0 && room() >= 1, stopWaiting.signal);
      pollStartedAt = clock();
    },
    postReceiveMessageCallback: async () => {
      lastPollAt = clock();
    },
    handleMessageBatch: async (messages) => {
      dispatch(messages);
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
      log.info(
        { queueUrl: opts.queueUrl, concurrency: opts.concurrency, prefetch: opts.prefetch },
        'consumer started',
      );
      poller.start();
    },

    async stop(stopOptions = {}) {
      if (!running || stopping) return;
      const timeoutMs = stopOptions.timeoutMs ?? opts.shutdownTimeoutMs;
      stopping = true;
      // Abort the long poll now: waiting up to 20 s for it would only hold messages we will release.
      poller.stop({ abort: true });
      stopWaiting.abort(new Error('consumer stopping'));
      log.info({ inFlight: inFlight.size, held: held.size, timeoutMs }, 'consumer stopping');
      // Held messages have not started: give them back now rather than after the drain.
      const releasing = releaseHeld('STOPPING');
      // Acks from here on are deleted at once: the drain must not wait out the linger.
      deleter?.stopLingering();

      // Every handler done AND its settling call answered (an ack may still wait in the delete linger).
      const drained = slots.drained().then(() => Promise.all([...inFlight].map((entry) => entry.done)));
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
      await releasing;
      // Deletes still lingering (acks settled by handlers that finished just now) go out at once.
      await deleter?.flush();
      running = false;
      log.info({}, 'consumer stopped');
    },

    isRunning: () => running && !stopping,
    get lastPollAt() {
      return lastPollAt;
    },
    get inFlight() {
      return slots.used;
    },
    get held() {
      return held.size;
    },
  };
}
