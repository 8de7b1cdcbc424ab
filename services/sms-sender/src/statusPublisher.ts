import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeMessage, type SmsOptOut, type SmsStatus } from '@platform/contracts';

export interface StatusPublisher {
  /**
   * Sends one `sms.status` v1 event to the invite-events queue. Called inside the consumer's process
   * span: `encodeMessage` injects the active trace context, so invite-api continues the same trace.
   */
  publish(status: SmsStatus, signal?: AbortSignal): Promise<void>;
}

export interface OptOutPublisher {
  /** Sends one `sms.optout` v1 event (STOP/START) to the invite-events queue. */
  publish(change: SmsOptOut, signal?: AbortSignal): Promise<void>;
}

const sendOptions = (signal: AbortSignal | undefined) =>
  signal === undefined ? {} : { abortSignal: signal };

export function createStatusPublisher(
  deps: { sqs: Pick<SQSClient, 'send'> },
  options: { queueUrl: string },
): StatusPublisher {
  return {
    async publish(status, signal) {
      await deps.sqs.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, ...encodeMessage('sms.status', status) }),
        sendOptions(signal),
      );
    },
  };
}

export function createOptOutPublisher(
  deps: { sqs: Pick<SQSClient, 'send'> },
  options: { queueUrl: string },
): OptOutPublisher {
  return {
    async publish(change, signal) {
      await deps.sqs.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, ...encodeMessage('sms.optout', change) }),
        sendOptions(signal),
      );
    },
  };
}
