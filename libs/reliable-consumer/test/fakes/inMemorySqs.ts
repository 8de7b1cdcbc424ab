import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';

interface Stored {
  id: string;
  body: string;
  attributes: Record<string, MessageAttributeValue> | undefined;
  sentAt: number;
  receives: number;
  invisibleUntil: number;
  receipt: string | undefined;
}

/** A per-entry failure a test makes a batch call report (as SQS does in `Failed[]`). */
export interface EntryFailure {
  Code: string;
  SenderFault: boolean;
}

/**
 * A FAKE SQS (`Pick<SQSClient, 'send'>`), named as such: queues in memory with visibility, receive
 * counts and receipt handles, enough for the consumer's own calls. For fast unit tests of the
 * consumer + withLease wiring; the real behaviour is tested against fauxqs (consumer.test.ts).
 */
export function createInMemorySqs() {
  const queues = new Map<string, Stored[]>();
  // Every command's name and input, in order: what tests count calls and batch sizes by.
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  // Asked per DeleteMessageBatch entry (by message id): a failure to report instead of deleting it.
  let deleteEntryFault: (messageId: string) => EntryFailure | undefined = () => undefined;
  const queue = (url: string): Stored[] => {
    let q = queues.get(url);
    if (q === undefined) queues.set(url, (q = []));
    return q;
  };

  async function receive(
    input: ReceiveMessageCommand['input'],
    signal: AbortSignal | undefined,
  ): Promise<Message[]> {
    const deadline = Date.now() + Math.min((input.WaitTimeSeconds ?? 0) * 1000, 100);
    for (;;) {
      const now = Date.now();
      const ready = queue(input.QueueUrl ?? '')
        .filter((m) => m.invisibleUntil <= now)
        .slice(0, input.MaxNumberOfMessages ?? 1);
      if (ready.length > 0 || now >= deadline) {
        return ready.map((m) => {
          m.receives += 1;
          m.receipt = randomUUID();
          m.invisibleUntil = now + (input.VisibilityTimeout ?? 30) * 1000;
          return {
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            Body: m.body,
            MessageAttributes: m.attributes,
            Attributes: { ApproximateReceiveCount: String(m.receives), SentTimestamp: String(m.sentAt) },
          };
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
      signal?.throwIfAborted();
    }
  }

  const byReceipt = (url: string | undefined, receipt: string | undefined): Stored | undefined =>
    queue(url ?? '').find((m) => m.receipt === receipt);

  const send = (async (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    const c = command as { constructor: { name: string }; input: Record<string, unknown> };
    calls.push({ name: c.constructor.name.replace(/Command$/, ''), input: c.input });
    if (command instanceof DeleteMessageBatchCommand) {
      const q = queue(command.input.QueueUrl ?? '');
      const Successful: Array<{ Id: string }> = [];
      const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
      for (const entry of command.input.Entries ?? []) {
        const index = q.findIndex((m) => m.receipt === entry.ReceiptHandle);
        const fault = index >= 0 ? deleteEntryFault(q[index]!.id) : undefined;
        if (index < 0) {
          Failed.push({
            Id: entry.Id ?? '',
            Code: 'ReceiptHandleIsInvalid',
            SenderFault: true,
            Message: 'stale',
          });
        } else if (fault !== undefined) {
          Failed.push({ Id: entry.Id ?? '', ...fault, Message: 'injected by the test' });
        } else {
          q.splice(index, 1);
          Successful.push({ Id: entry.Id ?? '' });
        }
      }
      return { Successful, Failed };
    }
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      const Successful: Array<{ Id: string }> = [];
      const Failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
      for (const entry of command.input.Entries ?? []) {
        const m = byReceipt(command.input.QueueUrl, entry.ReceiptHandle);
        if (m === undefined) {
          Failed.push({
            Id: entry.Id ?? '',
            Code: 'ReceiptHandleIsInvalid',
            SenderFault: true,
            Message: 'stale',
          });
          continue;
        }
        m.invisibleUntil = Date.now() + (entry.VisibilityTimeout ?? 0) * 1000;
        Successful.push({ Id: entry.Id ?? '' });
      }
      return { Successful, Failed };
    }
    if (command instanceof ReceiveMessageCommand) {
      return { Messages: await receive(command.input, options?.abortSignal) };
    }
    if (command instanceof ChangeMessageVisibilityCommand) {
      const m = byReceipt(command.input.QueueUrl, command.input.ReceiptHandle);
      if (m !== undefined) m.invisibleUntil = Date.now() + (command.input.VisibilityTimeout ?? 0) * 1000;
      return {};
    }
    if (command instanceof DeleteMessageCommand) {
      const q = queue(command.input.QueueUrl ?? '');
      const index = q.findIndex((m) => m.receipt === command.input.ReceiptHandle);
      if (index >= 0) q.splice(index, 1);
      return {};
    }
    if (command instanceof SendMessageCommand) {
      const id = randomUUID();
      queue(command.input.QueueUrl ?? '').push({
        id,
        body: command.input.MessageBody ?? '',
        attributes: command.input.MessageAttributes,
        sentAt: Date.now(),
        receives: 0,
        invisibleUntil: 0,
        receipt: undefined,
      });
      return { MessageId: id };
    }
    throw new Error(`in-memory SQS fake: ${(command as object).constructor.name} is not faked`);
  }) as SQSClient['send'];

  return {
    sqs: { send } satisfies Pick<SQSClient, 'send'>,
    messages: (url: string) => queue(url),
    calls,
    /** Calls of one operation (`'DeleteMessageBatch'`, `'ReceiveMessage'`, ...). */
    callsOf: (name: string) => calls.filter((call) => call.name === name),
    failDeleteEntries: (fault: (messageId: string) => EntryFailure | undefined): void => {
      deleteEntryFault = fault;
    },
  };
}
