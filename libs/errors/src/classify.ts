import { PlatformError } from './errors.ts';
import { sdkErrorInfo } from './sdkErrorInfo.ts';

export type FailureKind = 'transient' | 'permanent';

export interface Classification {
  kind: FailureKind;
  /** Stable code for logs, metrics and DLQ reason attributes. */
  code: string;
  message: string;
  /**
   * Set on permanent failures where the service refused the content of the message itself (its
   * characters, its attributes): the same content can never be accepted, however often or wherever
   * it is sent, so it must be marked failed rather than kept. A permanent failure without it (access
   * denied, a missing queue) is about the request's surroundings: once an operator fixes them, the
   * same content goes through.
   */
  contentRefused?: boolean;
}

// Error names the AWS SDK v3 uses for throttling across SQS, SNS, S3, DynamoDB and CloudWatch.
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'KMSThrottlingException',
  'TransactionInProgressException',
]);

// Node/undici network failures: the request may never have reached the service.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// SQS's refusals of a message's content (SendMessage / SendMessageBatch): InvalidMessageContents is
// "Invalid characters found" in the body (U+FFFE/U+FFFF, lone surrogates, C0 controls);
// InvalidAttributeName / InvalidAttributeValue refuse the message attributes. The same bytes are
// refused on every retry.
// Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
const CONTENT_REFUSED_NAMES = new Set([
  'InvalidMessageContents',
  'InvalidAttributeName',
  'InvalidAttributeValue',
]);

// SQS answers the JSON protocol with the legacy query code in `x-amzn-query-error`, and the SDK
// names the error after it. For these errors the code is the bare name on AWS; the local emulator
// prefixes it ("AWS.SimpleQueueService.InvalidMessageContents") and the SDK then throws a generic
// SQSServiceException under that name. Both spellings are the same refusal.
const SQS_QUERY_PREFIX = /^AWS\.SimpleQueueService\./;

/**
 * The one place that decides whether a failure is transient or permanent.
 *
 * Order matters: our own typed errors say what they are; then a queue's refusal of the message
 * content (permanent, `contentRefused`); then the AWS SDK's own retry hints
 * (`$retryable`, throttling names, 5xx / `$fault: 'server'`); then network error codes; an
 * AbortError is transient (the work was interrupted, not refused). Anything unknown is transient:
 * a retry costs a little time, while a wrongly permanent verdict drops work into the DLQ, and
 * maxReceiveCount still bounds the retries.
 */
export function classifyError(error: unknown): Classification {
  if (error instanceof PlatformError) {
    return { kind: error.retryable ? 'transient' : 'permanent', code: error.code, message: error.message };
  }
  const { name, message, status, code, fault, retryable } = sdkErrorInfo(error);

  // Before the SDK's hints: the name alone decides, whatever the HTTP status or fault looked like.
  const unprefixed = name.replace(SQS_QUERY_PREFIX, '');
  if (CONTENT_REFUSED_NAMES.has(unprefixed)) {
    return { kind: 'permanent', code: unprefixed, message, contentRefused: true };
  }
  if (name === 'AbortError' || name === 'TimeoutError')
    return { kind: 'transient', code: 'ABORTED', message };
  if (retryable) {
    return { kind: 'transient', code: name, message };
  }
  if (THROTTLING_NAMES.has(name) || status === 429) return { kind: 'transient', code: name, message };
  if (fault === 'server' || (status !== undefined && status >= 500)) {
    return { kind: 'transient', code: name, message };
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return { kind: 'transient', code, message };
  if (fault === 'client' && status !== undefined && status >= 400 && status < 500) {
    // 4xx from AWS: the request itself is wrong (validation, access denied, missing resource).
    // Conditional-check failures are handled by the callers that expect them, before this point.
    return { kind: 'permanent', code: name, message };
  }
  return { kind: 'transient', code: name === 'Error' ? 'UNKNOWN' : name, message };
}

/**
 * One failed entry of a batch call (SendMessageBatch's `Failed`, SNS PublishBatch's): the error
 * is not thrown, it is described by a code, a message and whose fault it was.
 */
export interface BatchEntryFailure {
  Code?: string | undefined;
  Message?: string | undefined;
  /** True when the entry itself was wrong (the sender's fault), false for the service's. */
  SenderFault?: boolean | undefined;
}

/**
 * The verdict on one failed batch entry, by the same rules as classifyError: a content refusal
 * (the sender's fault) is permanent and `contentRefused`; throttling names and the service's own
 * faults (`SenderFault: false`, e.g. InternalError) are transient; any other sender fault is
 * permanent (the entry's request is wrong, e.g. InvalidParameterValue for a message too long).
 * Codes may carry the emulator's query prefix, as thrown names do.
 * Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_BatchResultErrorEntry.html
 */
export function classifyBatchEntryFailure(entry: BatchEntryFailure): Classification {
  const code = (entry.Code ?? 'UNKNOWN').replace(SQS_QUERY_PREFIX, '');
  const message = entry.Message ?? code;
  if (THROTTLING_NAMES.has(code)) return { kind: 'transient', code, message };
  if (entry.SenderFault !== true) return { kind: 'transient', code, message };
  if (CONTENT_REFUSED_NAMES.has(code)) return { kind: 'permanent', code, message, contentRefused: true };
  return { kind: 'permanent', code, message };
}
