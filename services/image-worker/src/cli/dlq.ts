import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { CliEnvironment } from './environment.ts';
import { CliError, EXIT, table, type Output } from './output.ts';

// Long enough to list or re-send a batch, short enough that an interrupted run hands messages back soon.
const HOLD_SECONDS = 30;
// Attributes the worker adds when it dead-letters; the redriven message must look like the original.
const DLQ_ATTRIBUTE_PREFIX = 'dlq-';

interface Held {
  message: Message;
  jobId: string | undefined;
  template: string | undefined;
  reason: string;
  detail: string;
}

async function receiveBatch(env: CliEnvironment, max: number): Promise<Message[]> {
  const { Messages = [] } = await env.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: env.dlqUrl,
      MaxNumberOfMessages: Math.min(10, max),
      WaitTimeSeconds: 1,
      VisibilityTimeout: HOLD_SECONDS,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages;
}

function describe(message: Message): Held {
  let body: { jobId?: unknown; template?: unknown } = {};
  try {
    body = JSON.parse(message.Body ?? '') as typeof body;
  } catch {
    // Unparseable bodies are exactly what the DLQ holds; show them without a jobId.
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  return {
    message,
    jobId: typeof body.jobId === 'string' ? body.jobId : undefined,
    template: typeof body.template === 'string' ? body.template : undefined,
    // No dlq-reason: SQS itself moved it (RedrivePolicy) after maxReceiveCount failed receives.
    reason: attribute('dlq-reason') ?? 'MAX_RECEIVES_EXCEEDED',
    detail: attribute('dlq-detail') ?? '',
  };
}

/** Receives up to `max` messages (holding them), then calls `fn`; whatever `fn` leaves is released. */
async function withHeldMessages(
  env: CliEnvironment,
  max: number,
  fn: (held: Held[]) => Promise<Set<string>>,
): Promise<void> {
  const held: Held[] = [];
  const seen = new Set<string>();
  while (held.length < max) {
    const batch = await receiveBatch(env, max - held.length);
    const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      held.push(describe(message));
    }
  }
  let consumed = new Set<string>();
  try {
    consumed = await fn(held);
  } finally {
    await release(
      env,
      held.filter((h) => !consumed.has(h.message.MessageId ?? '')).map((h) => h.message),
    );
  }
}

/** Visibility 0: listed or skipped messages are back in the DLQ at once, as they were. */
async function release(env: CliEnvironment, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages
      .slice(i, i + 10)
      .map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    await env.clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl: env.dlqUrl, Entries: entries }),
    );
  }
}

export async function dlqListCommand(
  env: CliEnvironment,
  options: { max: number; json?: boolean },
  out: Output,
): Promise<void> {
  await withHeldMessages(env, options.max, async (held) => {
    const rows = await Promise.all(
      held.map(async (h) => {
        const record = h.jobId === undefined ? undefined : await env.ledger.get(h.jobId);
        return {
          messageId: h.message.MessageId ?? '',
          jobId: h.jobId ?? '-',
          template: h.template ?? '-',
          reason: h.reason,
          detail: h.detail,
          failedAt: h.message.MessageAttributes?.['dlq-failed-at']?.StringValue ?? sentAt(h.message),
          receives: h.message.Attributes?.ApproximateReceiveCount ?? '?',
          ledger:
            record === undefined
              ? 'no record'
              : `${record.status}${record.lastError ? ` ${record.lastError.code}` : ''}`,
        };
      }),
    );
    if (options.json === true) out.json(rows);
    else if (rows.length === 0) out.line(`the DLQ ${env.dlqUrl} is empty`);
    else {
      out.line(
        table(
          ['jobId', 'template', 'reason', 'ledger', 'failed at', 'detail'],
          rows.map((r) => [r.jobId, r.template, r.reason, r.ledger, r.failedAt, r.detail.slice(0, 80)]),
        ),
      );
      out.line(
        `${rows.length} message(s) in ${env.dlqUrl}${rows.length === options.max ? ` (first ${options.max}; --max for more)` : ''}`,
      );
    }
    return new Set();
  });
}

function sentAt(message: Message): string {
  const ms = Number(message.Attributes?.SentTimestamp);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '?';
}

export interface RedriveOptions {
  max: number;
  /** Only messages with this dlq-reason (MAX_RECEIVES_EXCEEDED for those SQS moved itself). */
  reason?: string;
  dryRun?: boolean;
  /** auto: StartMessageMoveTask on AWS, copy on emulators (fauxqs has no message move tasks). */
  method: 'auto' | 'move-task' | 'copy';
}

export async function dlqRedriveCommand(
  env: CliEnvironment,
  options: RedriveOptions,
  out: Output,
): Promise<void> {
  const method = options.method === 'auto' ? (env.emulated ? 'copy' : 'move-task') : options.method;
  if (method === 'move-task') {
    if (options.reason !== undefined || options.dryRun === true) {
      throw new CliError('--reason and --dry-run need --method copy: a message move task moves everything', {
        exitCode: EXIT.usage,
      });
    }
    await startMoveTask(env, out);
    return;
  }

  let moved = 0;
  await withHeldMessages(env, options.max, async (held) => {
    const chosen = held.filter((h) => options.reason === undefined || h.reason === options.reason);
    const consumed = new Set<string>();
    for (const h of chosen) {
      const target = h.message.MessageAttributes?.['dlq-source-queue']?.StringValue ?? env.queueUrl;
      if (options.dryRun === true) {
        out.line(`would redrive ${h.jobId ?? h.message.MessageId} (${h.reason}) to ${target}`);
        continue;
      }
      // Send first, delete second: a crash between them leaves a duplicate, which the ledger absorbs,
      // never a lost job. The body and the envelope + trace attributes travel unchanged.
      await env.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: target,
          MessageBody: h.message.Body ?? '',
          MessageAttributes: originalAttributes(h.message),
        }),
      );
      await env.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: env.dlqUrl, ReceiptHandle: h.message.ReceiptHandle }),
      );
      consumed.add(h.message.MessageId ?? '');
      moved += 1;
      out.line(`redriven ${h.jobId ?? h.message.MessageId} (${h.reason}) -> ${target}`);
    }
    const skipped = held.length - chosen.length;
    if (skipped > 0) out.line(`left ${skipped} message(s) with another reason in the DLQ`);
    return consumed;
  });
  if (options.dryRun !== true) out.line(`redrove ${moved} message(s) from ${env.dlqUrl}`);
}

function originalAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(message.MessageAttributes ?? {}).filter(
    ([name]) => !name.startsWith(DLQ_ATTRIBUTE_PREFIX),
  );
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * SQS's own redrive (the console's "Start DLQ redrive"): moves the DLQ's messages server-side,
 * attributes intact. The destination is named explicitly: messages the worker dead-lettered itself were
 * sent to the DLQ, not moved there by the RedrivePolicy, so SQS does not know their source queue.
 * Returns at once; the move runs in SQS.
 */
async function startMoveTask(env: CliEnvironment, out: Output): Promise<void> {
  const arnOf = async (queueUrl: string): Promise<string> => {
    const { Attributes } = await env.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (Attributes?.QueueArn === undefined) throw new CliError(`cannot read the ARN of ${queueUrl}`);
    return Attributes.QueueArn;
  };
  const sourceArn = await arnOf(env.dlqUrl);
  const destinationArn = await arnOf(env.queueUrl);
  try {
    const { TaskHandle } = await env.clients.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
    );
    out.line(`started a message move task ${sourceArn} -> ${destinationArn} (task ${TaskHandle ?? '?'})`);
    out.line(`  progress: aws sqs list-message-move-tasks --source-arn ${sourceArn}`);
  } catch (error) {
    throw new CliError(
      `StartMessageMoveTask failed: ${error instanceof Error ? error.message : String(error)} (on an emulator use --method copy)`,
      { cause: error },
    );
  }
}
