import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import type { SmsProviderConfig, SmsSenderConfig } from '../config.ts';
import { createSmsDirectory, type SmsDirectory } from '../directory/smsDirectory.ts';
import { createConsentRecorder, type ConsentRecorder } from '../optout/consentRecorder.ts';
import { withOptOutAndReceipts } from '../optout/withOptOutAndReceipts.ts';
import type { LocalOutbox } from '../providers/local/outbox.ts';
import type { SmsProvider } from '../providers/types.ts';
import { createOptOutPublisher, createStatusPublisher } from '../statusPublisher.ts';
import {
  createTwilioWebhookServer,
  TWILIO_STATUS_PATH,
  type TwilioWebhookServer,
} from '../webhooks/twilioWebhooks.ts';
import { createReceiptRecorder, type ReceiptRecorder } from './receiptRecorder.ts';
import { createSmsEventsConsumer, type SmsEventsConsumer } from './smsEventsConsumer.ts';

export interface ReceiptHandling {
  directory: SmsDirectory;
  receipts: ReceiptRecorder;
  consent: ConsentRecorder;
  /** The provider behind the suppression check and the message-id record (optout/withOptOutAndReceipts.ts). */
  guard(provider: SmsProvider): SmsProvider;
  /** The local outbox's simulated receipts go the same way as a provider's webhook. */
  listenTo(outbox: LocalOutbox): void;
  /** Starts what the config asks for: Twilio webhooks, the sms-events consumer. */
  start(): Promise<{ webhookUrl?: string; smsEvents: boolean }>;
  close(): Promise<void>;
}

/** The StatusCallback URL Twilio is given with every message, or undefined without a public origin. */
export function twilioStatusCallbackUrl(provider: SmsProviderConfig): string | undefined {
  return provider.name === 'twilio' && provider.webhookBaseUrl !== undefined
    ? `${provider.webhookBaseUrl}${TWILIO_STATUS_PATH}`
    : undefined;
}

/**
 * Delivery receipts and STOP/START, composed from clients main.ts built: one directory, one
 * publisher per contract, one recorder each, fed by whichever sources the provider has (Twilio
 * webhooks, End User Messaging events through SQS, the local outbox's timers).
 */
export function createReceiptHandling(
  deps: { sqs: SQSClient; ddb: DynamoDBDocumentClient; logger: ConsumerLogger },
  config: SmsSenderConfig,
): ReceiptHandling {
  const { sqs, ddb, logger } = deps;
  const directory = createSmsDirectory({ ddb }, { table: config.directoryTable });
  const receipts = createReceiptRecorder({
    directory,
    publisher: createStatusPublisher({ sqs }, { queueUrl: config.inviteEventsQueueUrl }),
    logger,
  });
  const consent = createConsentRecorder({
    directory,
    publisher: createOptOutPublisher({ sqs }, { queueUrl: config.inviteEventsQueueUrl }),
    logger,
  });
  let webhooks: TwilioWebhookServer | undefined;
  let events: SmsEventsConsumer | undefined;
  const outboxes: LocalOutbox[] = [];

  return {
    directory,
    receipts,
    consent,
    guard: (provider) => withOptOutAndReceipts(provider, { directory, logger }),
    listenTo(outbox) {
      outboxes.push(outbox);
      outbox.onReceipt((receipt) => {
        receipts
          .record(receipt)
          .catch((error: unknown) =>
            logger.warn(
              { err: error, providerMessageId: receipt.providerMessageId },
              'local receipt not recorded',
            ),
          );
      });
      // The outbox page's reply form plays a handset answering STOP/START.
      outbox.onInbound((from, body) =>
        consent.handleInbound({ source: 'local', from, body, receivedAt: new Date().toISOString() }),
      );
    },
    async start() {
      const p = config.provider;
      let webhookUrl: string | undefined;
      if (p.name === 'twilio' && p.webhookBaseUrl !== undefined) {
        webhooks = createTwilioWebhookServer(
          { receipts, consent, logger },
          {
            accountSid: p.accountSid,
            authToken: p.authToken,
            publicBaseUrl: p.webhookBaseUrl,
            port: p.webhookPort,
            host: p.webhookHost,
          },
        );
        webhookUrl = await webhooks.listen();
      } else if (p.name === 'twilio') {
        logger.warn(
          {},
          'TWILIO_WEBHOOK_BASE_URL is not set: no delivery receipts and no STOP/START from Twilio',
        );
      }
      if (config.smsEvents !== undefined) {
        events = createSmsEventsConsumer(
          { sqs, receipts, consent, logger },
          { ...config.smsEvents, waitTimeSeconds: config.waitTimeSeconds },
        );
        events.start();
      }
      return { ...(webhookUrl === undefined ? {} : { webhookUrl }), smsEvents: events !== undefined };
    },
    async close() {
      for (const outbox of outboxes) outbox.close();
      await Promise.allSettled([webhooks?.close(), events?.stop()]);
    },
  };
}
