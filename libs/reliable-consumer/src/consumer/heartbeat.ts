import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { HandlerAbortedError } from '../errors.ts';
import type { ConsumerLogger } from './types.ts';

export interface HeartbeatConfig {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  receiptHandle: string;
  /** Epoch ms when the ReceiveMessage that delivered this message was SENT: the 12 h ceiling counts from there. */
  receivedAt: number;
  /**
   * Epoch ms (on `clock`) when the visibility was last set to the full timeout, if not at the receive:
   * a message held before it ran was extended while it waited, so its first beat is due one interval
   * after that extension, not after the start of the handler.
   */
  extendedAt?: number;
  clock: () => number;
  intervalSeconds: number;
  visibilityTimeoutSeconds: number;
  maxVisibilitySeconds: number;
  hooks: ReadonlyArray<() => Promise<void>>;
  /** Aborted with a HandlerAbortedError when a beat fails; its signal is the handler's. */
  controller: AbortController;
  log: ConsumerLogger;
}

/**
 * Keeps a message invisible while its handler runs, and keeps the handler's own leases alive.
 *
 * Beyond sqs-consumer's heartbeat (a fixed re-extension whose failures are only emitted): beats are
 * sequential (a slow beat never overlaps the next), the extension never asks past the visibility
 * ceiling (SQS refuses more than 12 h from the receive), and any failure ABORTS the handler through
 * its AbortSignal, because a message we can no longer keep invisible, or a lease we no longer hold,
 * means another worker may already be doing the same work.
 */
export function startHeartbeat(config: HeartbeatConfig): {
  stop(): Promise<void>;
  /**
   * Epoch ms (on `clock`) until which the message is surely still ours: the last visibility set
   * (the receive, or the last extension that SQS confirmed) counted from when it was SENT.
   */
  visibleUntil(): number;
} {
  const { controller, log } = config;
  let visibleUntil = (config.extendedAt ?? config.receivedAt) + config.visibilityTimeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  const abort = (reason: HandlerAbortedError['reason'], message: string, cause?: unknown): void => {
    if (controller.signal.aborted) return;
    log.warn({ err: cause, reason }, message);
    controller.abort(new HandlerAbortedError(reason, message, cause));
  };

  async function beat(): Promise<void> {
    const elapsedSeconds = (config.clock() - config.receivedAt) / 1000;
    const remaining = Math.floor(config.maxVisibilitySeconds - elapsedSeconds);
    if (remaining <= config.intervalSeconds) {
      // The next beat would land past the ceiling; stop now, while our last extension still holds.
      abort(
        'visibility-ceiling',
        `Visibility ceiling of ${config.maxVisibilitySeconds}s since receive reached`,
      );
      return;
    }
    // ChangeMessageVisibility counts from NOW, so re-asking the full timeout each beat keeps a margin.
    const extension = Math.min(config.visibilityTimeoutSeconds, remaining);
    const signal = controller.signal;
    const sentAt = config.clock();
    try {
      await config.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.queueUrl,
          ReceiptHandle: config.receiptHandle,
          VisibilityTimeout: extension,
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!signal.aborted) abort('heartbeat-failed', 'Visibility extension failed; aborting handler', error);
      return;
    }
    visibleUntil = Math.max(visibleUntil, sentAt + extension * 1000);
    for (const hook of config.hooks) {
      if (signal.aborted || stopped) return;
      try {
        await hook();
      } catch (error) {
        abort('heartbeat-failed', 'Heartbeat hook failed (lease renewal?); aborting handler', error);
        return;
      }
    }
    log.debug({ extension }, 'heartbeat');
  }

  // Fixed cadence: the next beat is due one interval after the previous one STARTED (minus nothing
  // if it ran long), so slow SQS answers do not stretch the gaps between extensions.
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      const startedAt = Date.now();
      current = beat().finally(() => {
        if (stopped || controller.signal.aborted) return;
        schedule(Math.max(0, config.intervalSeconds * 1000 - (Date.now() - startedAt)));
      });
    }, delayMs);
  };
  const intervalMs = config.intervalSeconds * 1000;
  schedule(
    config.extendedAt === undefined
      ? intervalMs
      : Math.min(intervalMs, Math.max(0, config.extendedAt + intervalMs - config.clock())),
  );

  return {
    /**
     * No further beats; resolves once a beat in progress has finished. Awaited before the message is
     * settled (a late extension would undo a release or a backoff).
     */
    visibleUntil: () => visibleUntil,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
