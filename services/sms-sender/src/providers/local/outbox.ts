import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmsPermanentFailure, SmsTransientFailure } from '../../errors.ts';
import type { DeliveryReceipt } from '../../receipts/deliveryReceipt.ts';
import type { SmsProvider, SmsSendRequest, SmsSendResult } from '../types.ts';
import { injectedBehaviourFor, type InjectedBehaviour } from './failureInjection.ts';

/** One SMS the local "provider" accepted: what a handset would have received. */
export interface OutboxMessage {
  id: string;
  to: string;
  body: string;
  idempotencyKey: string;
  acceptedAt: string;
  /** The simulated delivery receipt, once it fired (in memory only, for the page). */
  receipt?: 'delivered' | 'undelivered';
}

/** A send the local provider refused (injected failure); kept in memory for the page only. */
export interface OutboxRejection {
  to: string;
  idempotencyKey: string;
  code: string;
  kind: 'transient' | 'permanent';
  at: string;
}

export interface LocalOutboxDeps {
  clock?: () => number;
  /** [0, 1); decides SMS_LOCAL_FAILURE_RATE failures. */
  random?: () => number;
  newId?: () => string;
}

export interface LocalOutboxOptions {
  /** Directory of `outbox.jsonl`; created if missing. */
  dir: string;
  /** Probability in [0, 1] that a send fails transiently (PROVIDER_UNAVAILABLE) before any magic rule. */
  failureRate?: number;
  /** Honour the magic suffixes of failureInjection.ts. Default true. */
  magicNumbers?: boolean;
  /** How long a `…9994` send takes. Default 3000 ms. */
  slowMs?: number;
  /** How many messages and rejections the in-memory view keeps (the file keeps everything). Default 500. */
  viewLimit?: number;
  /**
   * Delay of the simulated delivery receipt after a send is accepted, like a carrier's DLR. Default
   * 1000 ms; negative turns receipts off. `…9995` numbers get `undelivered`, every other `delivered`.
   */
  receiptDelayMs?: number;
}

export interface LocalOutbox extends SmsProvider {
  readonly name: 'local';
  readonly file: string;
  /** Loads earlier messages from the file (so a restart still shows them). Call once before use. */
  open(): Promise<void>;
  /** Newest first. */
  messages(): readonly OutboxMessage[];
  rejections(): readonly OutboxRejection[];
  /** Where simulated delivery receipts go (main.ts: the receipt recorder, like a provider webhook). */
  onReceipt(listener: (receipt: DeliveryReceipt) => void): void;
  /**
   * A reply "from a handset" (the outbox page's reply form), e.g. STOP: resolves with what the
   * listener made of it, like a provider's inbound webhook. Without a listener: `not-handled`.
   */
  reply(from: string, body: string): Promise<string>;
  onInbound(listener: (from: string, body: string) => Promise<string>): void;
  /** Cancels receipts not yet fired (shutdown). */
  close(): void;
}

export const OUTBOX_FILE_NAME = 'outbox.jsonl';

/**
 * The embedded default provider: "sending" appends one JSON line to `<dir>/outbox.jsonl` and keeps
 * an in-memory view for the outbox page. Like SNS it never deduplicates: every accepted call is one
 * line, so tests that count lines prove the LEDGER prevents duplicates, not the outbox.
 * One process per directory (the dev setup runs one replica); lines are appended through one
 * promise chain so concurrent sends never interleave within the process.
 */
export function createLocalOutbox(deps: LocalOutboxDeps, options: LocalOutboxOptions): LocalOutbox {
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const newId = deps.newId ?? (() => `local-${randomUUID()}`);
  const failureRate = options.failureRate ?? 0;
  const magicNumbers = options.magicNumbers ?? true;
  const slowMs = options.slowMs ?? 3000;
  const viewLimit = options.viewLimit ?? 500;
  const receiptDelayMs = options.receiptDelayMs ?? 1000;
  const pendingReceipts = new Set<NodeJS.Timeout>();
  let receiptListener: ((receipt: DeliveryReceipt) => void) | undefined;
  let inboundListener: ((from: string, body: string) => Promise<string>) | undefined;
  const file = join(options.dir, OUTBOX_FILE_NAME);

  const accepted: OutboxMessage[] = [];
  const refused: OutboxRejection[] = [];
  // Attempts per idempotency key, for the "fail N times then accept" rule.
  const attemptsByKey = new Map<string, number>();
  let writes: Promise<void> = Promise.resolve();

  const iso = () => new Date(clock()).toISOString();
  const keep = <T>(list: T[], item: T) => {
    list.unshift(item);
    if (list.length > viewLimit) list.length = viewLimit;
  };

  function refuse(
    request: SmsSendRequest,
    behaviour: Exclude<InjectedBehaviour, { kind: 'slow' | 'undelivered' }> | 'random',
  ): never {
    let error: SmsPermanentFailure | SmsTransientFailure;
    if (behaviour === 'random') {
      error = new SmsTransientFailure({
        code: 'PROVIDER_UNAVAILABLE',
        message: 'Local outbox: injected random failure (SMS_LOCAL_FAILURE_RATE)',
        provider: 'local',
        providerCode: 'INJECTED_RANDOM',
        outcome: 'not-sent',
      });
    } else {
      const args = {
        code: behaviour.code,
        message: `Local outbox: injected ${behaviour.code}`,
        provider: 'local' as const,
        providerCode: `INJECTED_${behaviour.code}`,
      };
      error =
        behaviour.kind === 'permanent'
          ? new SmsPermanentFailure(args)
          : new SmsTransientFailure({ ...args, outcome: 'not-sent' });
    }
    keep(refused, {
      to: request.to,
      idempotencyKey: request.idempotencyKey,
      code: error.code,
      kind: error.retryable ? 'transient' : 'permanent',
      at: iso(),
    });
    throw error;
  }

  async function append(message: OutboxMessage): Promise<void> {
    const line = `${JSON.stringify(message)}\n`;
    const write = writes.then(() => appendFile(file, line, 'utf8'));
    // The chain must survive one failed write; the failing caller still sees its own error.
    writes = write.catch(() => undefined);
    await write;
  }

  return {
    name: 'local',
    file,

    async open() {
      await mkdir(options.dir, { recursive: true });
      let text = '';
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const earlier = text
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as OutboxMessage];
          } catch {
            return []; // a torn last line after a crash: skip it, the rest is intact
          }
        });
      for (const message of earlier.slice(-viewLimit)) keep(accepted, message);
    },

    async send(request): Promise<SmsSendResult> {
      if (request.signal.aborted) {
        throw new SmsTransientFailure({
          code: 'PROVIDER_UNREACHABLE',
          message: 'Local outbox: call aborted before it started',
          provider: 'local',
          providerCode: 'ABORTED',
          outcome: 'not-sent',
          cause: request.signal.reason,
        });
      }
      const attempt = (attemptsByKey.get(request.idempotencyKey) ?? 0) + 1;
      attemptsByKey.set(request.idempotencyKey, attempt);

      if (failureRate > 0 && random() < failureRate) refuse(request, 'random');
      const behaviour = magicNumbers ? injectedBehaviourFor(request.to) : undefined;
      if (behaviour?.kind === 'permanent' || behaviour?.kind === 'always-transient')
        refuse(request, behaviour);
      if (behaviour?.kind === 'transient-then-accept' && attempt <= behaviour.failures)
        refuse(request, behaviour);
      if (behaviour?.kind === 'slow') {
        try {
          await sleep(slowMs, undefined, { signal: request.signal });
        } catch (error) {
          // Aborted mid-call: for the caller a real "unknown outcome", exactly like a provider timeout.
          throw new SmsTransientFailure({
            code: 'PROVIDER_UNREACHABLE',
            message: 'Local outbox: call aborted before the provider answered',
            provider: 'local',
            providerCode: 'ABORTED',
            outcome: 'unknown',
            cause: error,
          });
        }
      }

      const message: OutboxMessage = {
        id: newId(),
        to: request.to,
        body: request.body,
        idempotencyKey: request.idempotencyKey,
        acceptedAt: iso(),
      };
      await append(message);
      keep(accepted, message);
      scheduleReceipt(message, behaviour?.kind === 'undelivered' ? behaviour.code : undefined);
      return { providerMessageId: message.id };
    },

    messages: () => accepted,
    rejections: () => refused,
    onReceipt(listener) {
      receiptListener = listener;
    },
    onInbound(listener) {
      inboundListener = listener;
    },
    reply: async (from, body) =>
      inboundListener === undefined ? 'not-handled' : inboundListener(from, body),
    close() {
      for (const timer of pendingReceipts) clearTimeout(timer);
      pendingReceipts.clear();
    },
  };

  /** Like a carrier's delivery report: some time after the provider accepted, never before. */
  function scheduleReceipt(message: OutboxMessage, undeliveredCode: 'CARRIER_UNREACHABLE' | undefined): void {
    if (receiptDelayMs < 0) return;
    const timer = setTimeout(() => {
      pendingReceipts.delete(timer);
      message.receipt = undeliveredCode === undefined ? 'delivered' : 'undelivered';
      receiptListener?.({
        provider: 'local',
        providerMessageId: message.id,
        outcome: message.receipt,
        occurredAt: iso(),
        // In-process, so authentic: the receipt never depends on the directory write racing the timer.
        invitationIdHint: message.idempotencyKey,
        ...(undeliveredCode === undefined
          ? {}
          : { error: { code: undeliveredCode, message: 'Local outbox: simulated unreachable handset' } }),
      });
    }, receiptDelayMs);
    timer.unref();
    pendingReceipts.add(timer);
  }
}
