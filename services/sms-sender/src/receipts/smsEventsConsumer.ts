import { SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterAttributes } from '@platform/contracts';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import { Consumer } from 'sqs-consumer';
import type { ConsentRecorder } from '../optout/consentRecorder.ts';
import { parseEumMessage } from './eumEvents.ts';
import type { ReceiptRecorder } from './receiptRecorder.ts';

export interface SmsEventsConsumerOptions {
  queueUrl: string;
  dlqUrl: string;
  /** Default 20 (the SQS maximum; the cheapest long poll). */
  waitTimeSeconds?: number;
}

export interface SmsEventsConsumer {
  start(): void;
  /** Stops polling and waits for the messages in hand (sqs-consumer's own drain). */
  stop(): Promise<void>;
  isRunning(): boolean;
}

/**
 * The sms-events queue: AWS End User Messaging SMS delivery events and two-way inbound messages,
 * published by the service to the sms-events SNS topic (raw delivery). These are AWS's JSON, not our
 * contracts, so this is plain sqs-consumer rather than the contract-checking reliable consumer:
 * - a receipt becomes `sms.status` (unknown message id: logged and dropped);
 * - STOP/START becomes a consent change and `sms.optout`;
 * - a body that is neither goes to the DLQ at once with the reason, never retried;
 * - DynamoDB/SQS failures throw: the message stays, SQS redelivers it after its visibility timeout
 *   and dead-letters it after maxReceiveCount. Every step is idempotent, so a redelivery is harmless.
 */
export function createSmsEventsConsumer(
  deps: {
    sqs: SQSClient;
    receipts: ReceiptRecorder;
    consent: ConsentRecorder;
    logger: ConsumerLogger;
    clock?: () => number;
  },
  options: SmsEventsConsumerOptions,
): SmsEventsConsumer {
  const { sqs, receipts, consent, logger } = deps;
  const clock = deps.clock ?? Date.now;

  async function deadLetter(message: Message, reason: string, detail: string): Promise<void> {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: options.dlqUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: deadLetterAttributes({ reason, detail }, message.MessageAttributes ?? {}),
      }),
    );
    logger.warn({ messageId: message.MessageId, reason, detail }, 'sms event dead-lettered');
  }

  async function handle(message: Message): Promise<Message> {
    const receivedAt = new Date(clock()).toISOString();
    const parsed = parseEumMessage(message.Body, receivedAt);
    switch (parsed.kind) {
      case 'receipt':
        await receipts.record(parsed.receipt);
        break;
      case 'inbound':
        await consent.handleInbound({
          source: 'sns',
          from: parsed.from,
          body: parsed.body,
          receivedAt,
          inboundMessageId: parsed.inboundMessageId,
        });
        break;
      case 'ignored':
        logger.info({ eventType: parsed.eventType }, 'sms event does not change an invitation; ignored');
        break;
      case 'malformed':
        await deadLetter(message, 'MALFORMED_SMS_EVENT', parsed.reason);
        break;
    }
    return message; // sqs-consumer deletes what the handler returns
  }

  const consumer = Consumer.create({
    queueUrl: options.queueUrl,
    sqs,
    waitTimeSeconds: options.waitTimeSeconds ?? 20,
    messageAttributeNames: ['All'],
    handleMessage: handle,
  });
  consumer.on('error', (error) => logger.warn({ err: error }, 'sms-events poll failed; retrying'));
  consumer.on('processing_error', (error) =>
    logger.warn({ err: error }, 'sms event failed; SQS redelivers it after its visibility timeout'),
  );

  return {
    start: () => consumer.start(),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!consumer.status.isRunning) return resolve();
        consumer.once('stopped', () => resolve());
        consumer.stop({ abort: false });
      }),
    isRunning: () => consumer.status.isRunning,
  };
}
