import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Span } from '@opentelemetry/api';
import type { ContractName, DecodedMessageOf } from '@platform/contracts';

/** What the lib needs from a logger: pino's Logger satisfies it (ports, not a pino dependency). */
export interface ConsumerLogger {
  child(bindings: Record<string, unknown>): ConsumerLogger;
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export type HandlerOutcome =
  | {
      kind: 'ack';
      /**
       * Delete the message only once this resolves true (the handler's slot is free meanwhile). For
       * bookkeeping that must land before the message may go, but that nobody needs to wait for:
       * e.g. a marker whose removal says "the event is out", so that a marker is never left behind
       * a deleted message. false (or a rejection): the message is not deleted and reappears after
       * its visibility timeout, a redelivery the handler's idempotency absorbs.
       */
      deleteAfter?: Promise<boolean>;
    }
  | { kind: 'retry'; reason: string; delaySeconds?: number }
  /** Not a failure: e.g. the lease is live elsewhere. The message stays invisible `delaySeconds`. */
  | { kind: 'defer'; delaySeconds: number }
  | { kind: 'dead-letter'; reason: string; detail?: string };

export interface HandlerContextBase {
  message: Message;
  receiveCount: number;
  /** When the producer sent it (SentTimestamp), epoch ms. */
  sentAt: number;
  /**
   * Fires when a heartbeat (visibility extension or an onHeartbeat hook) fails, before the 12 h
   * visibility ceiling, and on a shutdown past its deadline. The handler must then stop WITHOUT side
   * effects (no upload, no ledger completion). `signal.reason` is a HandlerAbortedError.
   */
  signal: AbortSignal;
  log: ConsumerLogger;
  span: Span;
  /**
   * Runs `fn` on every heartbeat, after the visibility extension. `withLease` registers its lease
   * renewal here and serialises it with its own writes (so no renewal lands under the final write).
   */
  onHeartbeat(fn: () => Promise<void>): void;
}

/**
 * The decoded message's `{ contract, version, payload }` spread over the base context, distributed
 * over the accepted contracts so `if (ctx.contract === 'sms.requested') ctx.payload` narrows.
 */
export type HandlerContext<C extends ContractName = ContractName> =
  DecodedMessageOf<C> extends infer D ? (D extends unknown ? HandlerContextBase & D : never) : never;

export type MessageHandler<C extends ContractName = ContractName> = (
  ctx: HandlerContext<C>,
) => Promise<HandlerOutcome>;

/** What finally happened to a message; emitted to `onOutcome` (metrics) once per received message. */
export interface OutcomeEvent {
  messageId: string;
  contract: string | undefined;
  receiveCount: number;
  /**
   * ack: deleted after success. retry: visibility set to the backoff delay. defer: visibility set,
   * not a failure. dead-letter: copied to the DLQ then deleted. released: visibility 0 (shutdown, held
   * when stop began, or arrived after it). abandoned: handler aborted by a failed heartbeat, or a held
   * message whose visibility extension failed; left for redelivery.
   */
  kind: 'ack' | 'retry' | 'defer' | 'dead-letter' | 'released' | 'abandoned';
  reason?: string;
  /** Seconds of invisibility asked for (retry, defer). */
  delaySeconds?: number;
  /** Handler wall time, ms. */
  durationMs: number;
  /** Time from SentTimestamp to receive, ms. */
  queueWaitMs: number;
  /** The SQS call that should have settled the message failed; SQS will redeliver it. */
  settleError?: unknown;
  /** The domain ids `logBindings` gave for this message (e.g. `{ jobId }`), so tests and metrics can match on them. */
  bindings?: Record<string, unknown>;
}

export interface ReliableConsumerDeps {
  /** Only `send` is used (here and by sqs-consumer), so a test can pass a wrapper or an in-memory fake. */
  sqs: Pick<SQSClient, 'send'>;
  logger: ConsumerLogger;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /** [0, 1); default Math.random. Injected so backoff jitter is testable. */
  random?: () => number;
}

export interface BackoffOptions {
  /** Delay cap for the first retry, seconds. */
  baseSeconds: number;
  /** Upper bound of any computed delay, seconds. */
  maxSeconds: number;
}

export interface ReliableConsumerOptions<C extends ContractName = ContractName> {
  queueUrl: string;
  dlqUrl: string;
  /** Used in logs and as the `dlq-source-queue`-adjacent consumer name. */
  name: string;
  /** Contracts this consumer accepts; any other valid contract is dead-lettered (UNEXPECTED_CONTRACT). */
  contracts: readonly C[];
  /** Max handlers running at once (1..1000). Independent of batchSize. */
  concurrency: number;
  /** Max messages per ReceiveMessage (1..10, SQS limit). Default 10. */
  batchSize?: number;
  /**
   * Messages a receive may bring beyond the free handler slots (0..1000), held unrun in arrival
   * order until a slot frees: each receive asks for free slots + this (at most batchSize), so a busy
   * consumer gets full receives instead of one message per freed slot. Held messages are extended on
   * the heartbeat cadence and released (visibility 0) on stop, but each one has spent an SQS receive
   * (ApproximateReceiveCount) even if it never runs here: keep the queue's maxReceiveCount well above
   * the attempts the handler allows. Default 0: receive only for free slots.
   */
  prefetch?: number;
  /**
   * Acks are deleted with DeleteMessageBatch, sent when 10 are queued or this many ms after the
   * first (0..1000, and below half of visibility timeout - heartbeat interval). Default 0: one
   * DeleteMessage per ack.
   * The dead-letter path's delete never waits (see the consumer).
   */
  deleteLingerMs?: number;
  /** Long polling wait (0..20 s, SQS limit). Default 20. */
  waitTimeSeconds?: number;
  /** Visibility set on receive and on each heartbeat (1..43200 s). */
  visibilityTimeoutSeconds: number;
  /** Seconds between heartbeats; must be below visibilityTimeoutSeconds. */
  heartbeatIntervalSeconds: number;
  /** Visibility ceiling since receive (SQS: 12 h = 43200 s). Default 43200. */
  maxVisibilitySeconds?: number;
  backoff: BackoffOptions;
  /** Default deadline for stop(). */
  shutdownTimeoutMs: number;
  handler: MessageHandler<C>;
  /**
   * Domain ids to bind on the per-message logger (e.g. `({ payload }) => ({ jobId: payload.jobId })`),
   * so every line about the message carries them: the lib's own (heartbeats, `message settled`) and
   * the handler's (`ctx.log`). Called once per accepted message; a throw is logged and ignored.
   */
  logBindings?: (decoded: DecodedMessageOf<C>) => Record<string, unknown>;
  /** Called once per message with its final outcome (metrics, tests). Must not throw. */
  onOutcome?: (event: OutcomeEvent) => void;
  /**
   * Called before a message the consumer itself dead-letters (it fails its contract, or is of a
   * contract this consumer does not take) goes to the DLQ: the service can record the failure where
   * its producers look (e.g. the job ledger, when the raw body still names a job). A throw is logged
   * and never stops the dead-lettering.
   */
  onPoison?: (poison: PoisonMessage) => Promise<void>;
}

export interface PoisonMessage {
  message: Message;
  /** The dead-letter reason (as in the `dlq-reason` attribute), e.g. `SCHEMA_VIOLATION`. */
  reason: string;
  detail: string;
}

export interface StopOptions {
  /** Deadline for in-flight handlers; default the shutdownTimeoutMs option. */
  timeoutMs?: number;
}

export interface ReliableConsumer {
  start(): void;
  /** Stops polling, drains in-flight handlers up to the deadline, then aborts and releases them. */
  stop(options?: StopOptions): Promise<void>;
  isRunning(): boolean;
  /** Epoch ms of the last completed ReceiveMessage (readiness), undefined before the first. */
  readonly lastPollAt: number | undefined;
  /** Handlers currently running. */
  readonly inFlight: number;
  /** Messages received and held for a slot (at most the prefetch). */
  readonly held: number;
}
