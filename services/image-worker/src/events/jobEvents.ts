import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  encodeMessage,
  type ImageJobCompleted,
  type ImageJobFailed,
  type ImageJobFailureReason,
} from '@platform/contracts';
import type { LeaseRecord } from '@platform/reliable-consumer';
import { writeTraceContext } from '@platform/telemetry';
import { createPublishBatcher, type PublishResult } from './publishBatcher.ts';

// 256 KiB - the SNS Publish size limit (body plus attributes), lower than SQS's 1 MiB.
const SNS_MAX_MESSAGE_BYTES = 262_144;

export type JobEventContract = 'image.job.completed' | 'image.job.failed';

/** Publishes job events to the image-job-events topic. */
export interface JobEventPublisher {
  readonly topicArn: string;
  publish(
    contract: 'image.job.completed',
    payload: ImageJobCompleted,
    call?: { signal?: AbortSignal },
  ): Promise<string>;
  publish(
    contract: 'image.job.failed',
    payload: ImageJobFailed,
    call?: { signal?: AbortSignal },
  ): Promise<string>;
  /**
   * The completion event, sent with other jobs' in one PublishBatch after the linger. Its own
   * PRODUCER span (a child of `parent`, the job's span) lasts until SNS answered for this entry,
   * and its trace context is what the event carries, so each event continues its own job's trace.
   * Resolves with the entry's result, never rejects.
   */
  publishSoon(payload: ImageJobCompleted, parent: Span): Promise<PublishResult>;
  /** Sends the queued events now and waits for them (shutdown). */
  flush(): Promise<void>;
}

const tracer = trace.getTracer('@platform/image-worker');
// A fresh bound per call, SDK retries included, so a flush on shutdown never hangs.
const PUBLISH_CALL_TIMEOUT_MS = 10_000;

function snsAttributes(
  encoded: Record<string, { DataType?: string; StringValue?: string }>,
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(encoded)) {
    if (value.DataType !== undefined)
      attributes[name] = { DataType: value.DataType, StringValue: value.StringValue };
  }
  return attributes;
}

/**
 * Events go through the same contract envelope as queue messages: validated, with `contract`,
 * `contract-version` and the active W3C trace context as message attributes. The topic's
 * subscriptions use raw message delivery, so a subscriber's SQS message carries this body and
 * these attributes unchanged and decodes with `decodeMessage` like any other contract message.
 */
export function createJobEventPublisher(
  deps: { sns: Pick<SNSClient, 'send'> },
  options: {
    topicArn: string;
    /** How long a completion event waits for other jobs' to share one PublishBatch; 0 sends at once. */
    lingerMs?: number;
  },
): JobEventPublisher {
  const topicName = options.topicArn.split(':').at(-1) ?? options.topicArn;
  const batcher = createPublishBatcher({
    sns: deps.sns,
    topicArn: options.topicArn,
    lingerMs: options.lingerMs ?? 0,
    signal: () => AbortSignal.timeout(PUBLISH_CALL_TIMEOUT_MS),
  });

  async function publishSoon(payload: ImageJobCompleted, parent: Span): Promise<PublishResult> {
    const span = tracer.startSpan(
      `${topicName} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'aws_sns',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': topicName,
          'image.job_id': payload.jobId,
        },
      },
      trace.setSpan(context.active(), parent),
    );
    const spanContext = trace.setSpan(context.active(), span);
    let result: PublishResult;
    try {
      const encoded = encodeMessage('image.job.completed', payload, {
        maxMessageBytes: SNS_MAX_MESSAGE_BYTES,
        context: spanContext,
      });
      // Queued under the event's span: if this entry starts the linger, the batch call's SDK span is
      // that span's child (one trace shows the call; every job's trace shows its own publish span).
      // Written by us even where the SDK's instrumentation would inject (a lone Publish): one
      // context, this event's, whichever call carries it.
      const attributes = writeTraceContext(snsAttributes(encoded.MessageAttributes), spanContext);
      result = await context.with(spanContext, () =>
        batcher.publish({ Message: encoded.MessageBody, MessageAttributes: attributes }),
      );
    } catch (error) {
      result = { ok: false, error };
    }
    if (result.ok) {
      span.setAttribute('messaging.message.id', result.messageId);
    } else {
      span.recordException(result.error instanceof Error ? result.error : String(result.error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'not published' });
    }
    span.end();
    return result;
  }

  async function publish(
    contract: JobEventContract,
    payload: ImageJobCompleted | ImageJobFailed,
    call: { signal?: AbortSignal } = {},
  ): Promise<string> {
    const encoded =
      contract === 'image.job.completed'
        ? encodeMessage(contract, payload as ImageJobCompleted, { maxMessageBytes: SNS_MAX_MESSAGE_BYTES })
        : encodeMessage(contract, payload as ImageJobFailed, { maxMessageBytes: SNS_MAX_MESSAGE_BYTES });
    const attributes = snsAttributes(encoded.MessageAttributes);
    const output = await deps.sns.send(
      new PublishCommand({
        TopicArn: options.topicArn,
        Message: encoded.MessageBody,
        MessageAttributes: attributes,
      }),
      { abortSignal: call.signal },
    );
    return output.MessageId ?? '';
  }
  return { topicArn: options.topicArn, publish: publish, publishSoon, flush: () => batcher.flush() };
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The completion event of a COMPLETED record (its attributes are what the worker stored with it). */
export function completedEventOf(record: LeaseRecord): ImageJobCompleted {
  const a = record.attributes;
  const completedAt = record.completedAt ?? record.updatedAt;
  const queuedAt = num(a.queuedAt);
  const event: ImageJobCompleted = {
    jobId: record.key,
    s3Uri: String(a.s3Uri),
    contentType: a.contentType as ImageJobCompleted['contentType'],
    bytes: num(a.bytes) ?? 0,
    sha256: String(a.sha256),
    durationMs: Math.max(0, Math.round(num(a.durationMs) ?? 0)),
    attempts: Math.max(1, record.attempts),
    completedAt: new Date(completedAt).toISOString(),
  };
  if (queuedAt !== undefined) event.queueToCompleteMs = Math.max(0, completedAt - queuedAt);
  const requestedBy = str(a.requestedBy);
  const correlationId = str(a.correlationId);
  if (requestedBy !== undefined) event.requestedBy = requestedBy;
  if (correlationId !== undefined) event.correlationId = correlationId;
  return event;
}

/** The failure event of a FAILED or DEAD_LETTERED record. */
export function failedEventOf(
  record: LeaseRecord,
  state: ImageJobFailed['state'],
  failedAt: number,
): ImageJobFailed {
  const a = record.attributes;
  const reason: ImageJobFailureReason = {
    // The contract's code pattern; a stray character never makes the event itself invalid.
    code: (record.lastError?.code ?? 'FAILED').replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64) || 'FAILED',
    message: (record.lastError?.message || 'no message').slice(0, 2048),
    retryable: record.lastError?.retryable ?? false,
  };
  const event: ImageJobFailed = {
    jobId: record.key,
    state,
    reason,
    attempts: record.attempts,
    failedAt: new Date(failedAt).toISOString(),
  };
  const requestedBy = str(a.requestedBy);
  const correlationId = str(a.correlationId);
  if (requestedBy !== undefined) event.requestedBy = requestedBy;
  if (correlationId !== undefined) event.correlationId = correlationId;
  return event;
}
