/**
 * Names and limits of the SQS envelope. Attribute names follow the SQS rules (letters, digits,
 * '-', '_', '.'; no `AWS.`/`Amazon.` prefix) and are lower-case like the W3C trace headers that
 * travel beside them.
 */
export const ATTRIBUTE_NAMES = {
  contract: 'contract',
  contractVersion: 'contract-version',
  contentType: 'content-type',
  dlqReason: 'dlq-reason',
  dlqDetail: 'dlq-detail',
  dlqSourceQueue: 'dlq-source-queue',
  dlqFailedAt: 'dlq-failed-at',
} as const;

/** The attributes a dead-lettering adds; an original carrying them (a redriven message) has stale ones. */
export const DEAD_LETTER_ATTRIBUTE_NAMES = [
  ATTRIBUTE_NAMES.dlqReason,
  ATTRIBUTE_NAMES.dlqDetail,
  ATTRIBUTE_NAMES.dlqSourceQueue,
  ATTRIBUTE_NAMES.dlqFailedAt,
] as const;

/** The attributes `encodeMessage` itself sets (trace context comes on top). */
export const ENVELOPE_ATTRIBUTE_NAMES = [
  ATTRIBUTE_NAMES.contract,
  ATTRIBUTE_NAMES.contractVersion,
  ATTRIBUTE_NAMES.contentType,
] as const;

/** W3C trace context and baggage, written by `injectTraceContext` and by the OTel aws-sdk instrumentation. */
export const TRACE_ATTRIBUTE_NAMES = ['traceparent', 'tracestate', 'baggage'] as const;

export const JSON_CONTENT_TYPE = 'application/json';

/**
 * SQS accepts at most 10 message attributes per message. The OTel aws-sdk instrumentation only
 * injects its 3 trace attributes when they fit, so our own attributes (envelope + DLQ reason) stay
 * at 7 or fewer.
 * Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_OWN_ATTRIBUTES = SQS_MAX_MESSAGE_ATTRIBUTES - TRACE_ATTRIBUTE_NAMES.length;

/**
 * 1 MiB - the SQS message size limit, counting the body plus every attribute's name, data type
 * and value (raised from 256 KiB in August 2025).
 * Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** Longest `dlq-detail` value we write: enough for a few validation errors, small beside the size limit. */
export const MAX_DLQ_DETAIL_CHARS = 1024;
