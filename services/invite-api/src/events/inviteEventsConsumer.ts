import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SmsOptOut, SmsStatus } from '@platform/contracts';
import {
  createReliableConsumer,
  type ConsumerLogger,
  type QueueConsumerSettings,
  type ReliableConsumer,
} from '@platform/reliable-consumer';
import type { SmsStatusResult } from './applySmsStatus.ts';

export interface InviteEventsConsumerDeps {
  sqs: SQSClient;
  logger: ConsumerLogger;
  apply: (event: SmsStatus) => Promise<SmsStatusResult>;
  /** sms.optout events (STOP/START, published by sms-sender, which owns the suppression list). */
  applyOptOut: (event: SmsOptOut) => Promise<unknown>;
}

/** The same consumer settings as every consumer (INVITE_EVENTS_* in config.ts), plus the queues. */
export interface InviteEventsConsumerOptions extends QueueConsumerSettings {
  queueUrl: string;
  dlqUrl: string;
  shutdownTimeoutMs: number;
}

/**
 * sms.status and sms.optout events from the invite-events queue, on the shared reliable consumer: thrown errors are
 * classified once (transient -> retry with backoff, permanent -> DLQ) and contract violations go to the
 * DLQ with their reason. Applying a status is idempotent, so no lease ledger is needed here.
 */
export function createInviteEventsConsumer(
  deps: InviteEventsConsumerDeps,
  options: InviteEventsConsumerOptions,
): ReliableConsumer {
  return createReliableConsumer(
    { sqs: deps.sqs, logger: deps.logger },
    {
      name: 'invite-events',
      queueUrl: options.queueUrl,
      dlqUrl: options.dlqUrl,
      contracts: ['sms.status', 'sms.optout'],
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      waitTimeSeconds: options.waitTimeSeconds,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      heartbeatIntervalSeconds: options.heartbeatIntervalSeconds,
      backoff: options.backoff,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      handler: async (ctx) => {
        if (ctx.contract === 'sms.optout') {
          await deps.applyOptOut(ctx.payload);
          return { kind: 'ack' };
        }
        const result = await deps.apply(ctx.payload);
        if (result === 'unknown-invitation') {
          // Cannot succeed later: invitations are written before their SMS is requested.
          return { kind: 'dead-letter', reason: 'UNKNOWN_INVITATION', detail: ctx.payload.invitationId };
        }
        return { kind: 'ack' };
      },
    },
  );
}
