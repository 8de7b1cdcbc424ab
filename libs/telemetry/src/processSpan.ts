import {
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  trace,
  type Attributes,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { Message } from '@aws-sdk/client-sqs';
import { extractTraceContext } from './sqsPropagation.ts';
import { TRACER_NAME } from './constants.ts';

// Messaging semantic conventions (https://opentelemetry.io/docs/specs/semconv/messaging/).
// They live in the "incubating" entry point of @opentelemetry/semantic-conventions, which its
// authors ask consumers to copy rather than import (it may break in minor versions).
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
// Ours, namespaced as the semantic conventions recommend for custom attributes.
const ATTR_CONTRACT = 'platform.message.contract';
const ATTR_CONTRACT_VERSION = 'platform.message.contract_version';
const ATTR_RECEIVE_COUNT = 'platform.sqs.approximate_receive_count';
const ATTR_QUEUE_URL = 'platform.sqs.queue_url';

export interface ProcessSpanOptions {
  queueUrl: string;
  /** The contract name; read from the message's `contract` attribute when omitted. */
  contract?: string;
}

/** The last path segment of an SQS queue URL is the queue name. */
export function queueNameFromUrl(queueUrl: string): string {
  const name = queueUrl
    .split('/')
    .filter((segment) => segment.length > 0)
    .at(-1);
  return name ?? queueUrl;
}

/**
 * Runs `fn` inside a CONSUMER `<queue name> process` span for one received SQS message.
 *
 * The span is parented to the producer's context (from the message attributes) AND linked to it:
 * the parent keeps one trace across the hop, the link is what the messaging conventions use to
 * connect a process span to its creation context (and what survives tools that re-parent).
 * The aws-sdk instrumentation (>= 0.58) makes no per-message process spans (it only links the
 * `receive` span), so this is the only process span per message. Without a producer context
 * (no traceparent) the span falls back to the active context. Errors thrown by `fn` mark the
 * span as failed and are rethrown unchanged.
 */
export async function withProcessSpan<T>(
  message: Message,
  options: ProcessSpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const queueName = queueNameFromUrl(options.queueUrl);
  const producerContext = extractTraceContext(message.MessageAttributes, context.active());
  const producerSpanContext = trace.getSpanContext(producerContext);
  const links: Link[] = [];
  if (producerSpanContext !== undefined && isSpanContextValid(producerSpanContext)) {
    links.push({ context: producerSpanContext });
  }

  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: 'aws_sqs',
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [ATTR_MESSAGING_DESTINATION_NAME]: queueName,
    [ATTR_QUEUE_URL]: options.queueUrl,
  };
  if (message.MessageId !== undefined) attributes[ATTR_MESSAGING_MESSAGE_ID] = message.MessageId;
  if (message.Body !== undefined)
    attributes[ATTR_MESSAGING_MESSAGE_BODY_SIZE] = Buffer.byteLength(message.Body);
  const contract = options.contract ?? message.MessageAttributes?.['contract']?.StringValue;
  if (contract !== undefined) attributes[ATTR_CONTRACT] = contract;
  const version = message.MessageAttributes?.['contract-version']?.StringValue;
  if (version !== undefined) attributes[ATTR_CONTRACT_VERSION] = version;
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
  if (Number.isInteger(receiveCount) && receiveCount > 0) attributes[ATTR_RECEIVE_COUNT] = receiveCount;

  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(
    `${queueName} process`,
    { kind: SpanKind.CONSUMER, attributes, links },
    producerContext,
    (span) => runInSpan(span, fn),
  );
}

/**
 * Runs `fn` with `span`, then ends it; a throw is recorded on the span (exception event, ERROR
 * status) and rethrown. The body of every `startActiveSpan` callback that only wraps work.
 */
export async function runInSpan<T>(span: Span, fn: (span: Span) => T | Promise<T>): Promise<T> {
  try {
    return await fn(span);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    span.end();
  }
}
