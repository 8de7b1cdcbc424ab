import {
  PublishBatchCommand,
  PublishCommand,
  type MessageAttributeValue,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { batchAnswerVerdicts, createLingerBatcher, type EntryVerdict } from '@platform/reliable-consumer';

// SNS limits: a PublishBatch carries at most 10 entries, and at most 256 KiB of messages and
// attributes in all (each message alone may be that big, so a large one goes in a batch of its own).
const SNS_MAX_BATCH_ENTRIES = 10;
const SNS_MAX_BATCH_BYTES = 262_144;
// An entry SNS failed on its side (SenderFault false: throttling, an internal error) is sent again
// this many times in all before it is reported as not published. A sender fault (an invalid
// parameter) would fail the same way again, so it is reported at once.
const MAX_ENTRY_TRIES = 3;

export interface PublishEntry {
  Message: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
}

export type PublishResult = { ok: true; messageId: string } | { ok: false; error: unknown };

export interface PublishBatcherConfig {
  sns: Pick<SNSClient, 'send'>;
  topicArn: string;
  /** How long the first queued event waits for others before its batch is sent; 0 sends at once. */
  lingerMs: number;
  /** A fresh deadline for each call (so a flush on shutdown never hangs). */
  signal: () => AbortSignal;
}

export interface PublishBatcher {
  /** Queues the event; resolves with ITS result (never rejects). */
  publish(entry: PublishEntry): Promise<PublishResult>;
  /** Sends everything queued now and resolves when every event so far has settled. */
  flush(): Promise<void>;
}

/** What SNS counts against a message's size: the body plus each attribute's name, type and value. */
function sizeOf(entry: PublishEntry): number {
  let bytes = Buffer.byteLength(entry.Message);
  for (const [name, value] of Object.entries(entry.MessageAttributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes += Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * Collects events into PublishBatch calls (the shared linger batcher): one call per up to 10
 * events, sent when 10 are queued or `lingerMs` after the first; a lone event goes out as a plain
 * Publish. Each entry keeps its own message attributes (the contract envelope and the W3C trace
 * context of its own job: the SDK's instrumentation injects context into Publish only, never into
 * batch entries), and is settled on its own: SNS answers 200 with some entries in `Failed[]`, and
 * nothing counts as published unless SNS listed it in `Successful`.
 */
export function createPublishBatcher(config: PublishBatcherConfig): PublishBatcher {
  const batcher = createLingerBatcher<PublishEntry, PublishResult>({
    lingerMs: config.lingerMs,
    maxEntries: SNS_MAX_BATCH_ENTRIES,
    maxBytes: SNS_MAX_BATCH_BYTES,
    sizeOf,
    maxTries: MAX_ENTRY_TRIES,
    send: (entries) => (entries.length === 1 ? sendOne(entries[0] as PublishEntry) : sendBatch(entries)),
  });

  async function sendOne(entry: PublishEntry): Promise<Array<EntryVerdict<PublishResult>>> {
    try {
      const output = await config.sns.send(new PublishCommand({ TopicArn: config.topicArn, ...entry }), {
        abortSignal: config.signal(),
      });
      return [{ settle: { ok: true, messageId: output.MessageId ?? '' } }];
    } catch (error) {
      return [{ settle: { ok: false, error } }];
    }
  }

  async function sendBatch(entries: readonly PublishEntry[]): Promise<Array<EntryVerdict<PublishResult>>> {
    let output;
    try {
      output = await config.sns.send(
        new PublishBatchCommand({
          TopicArn: config.topicArn,
          PublishBatchRequestEntries: entries.map((entry, index) => ({ Id: String(index), ...entry })),
        }),
        { abortSignal: config.signal() },
      );
    } catch (error) {
      // The whole call failed (after the SDK's own retries): none of these is known to be published.
      return entries.map(() => ({ settle: { ok: false, error } }));
    }
    return batchAnswerVerdicts('PublishBatch', entries.length, output, {
      ok: (successful): PublishResult => ({ ok: true, messageId: successful.MessageId ?? '' }),
      failed: (error) => ({ ok: false, error }),
    });
  }

  return { publish: (entry) => batcher.add(entry), flush: () => batcher.flush() };
}
