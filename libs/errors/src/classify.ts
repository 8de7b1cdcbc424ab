import { PlatformError } from './errors.ts';

export type FailureKind = 'transient' | 'permanent';

export interface Classification {
  kind: FailureKind;
  /** Stable code for logs, metrics and DLQ reason attributes. */
  code: string;
  message: string;
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

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * The one place that decides whether a failure is transient or permanent.
 *
 * Order matters: our own typed errors say what they are; then the AWS SDK's own retry hints
 * (`$retryable`, throttling names, 5xx / `$fault: 'server'`); then network error codes; an
 * AbortError is transient (the work was interrupted, not refused). Anything unknown is transient:
 * a retry costs a little time, while a wrongly permanent verdict drops work into the DLQ, and
 * maxReceiveCount still bounds the retries.
 */
export function classifyError(error: unknown): Classification {
  if (error instanceof PlatformError) {
    return { kind: error.retryable ? 'transient' : 'permanent', code: error.code, message: error.message };
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const status =
    typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const code = typeof shape.code === 'string' ? shape.code : undefined;

  if (name === 'AbortError' || name === 'TimeoutError')
    return { kind: 'transient', code: 'ABORTED', message };
  if (shape.$retryable !== undefined && shape.$retryable !== null) {
    return { kind: 'transient', code: name, message };
  }
  if (THROTTLING_NAMES.has(name) || status === 429) return { kind: 'transient', code: name, message };
  if (shape.$fault === 'server' || (status !== undefined && status >= 500)) {
    return { kind: 'transient', code: name, message };
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return { kind: 'transient', code, message };
  if (shape.$fault === 'client' && status !== undefined && status >= 400 && status < 500) {
    // 4xx from AWS: the request itself is wrong (validation, access denied, missing resource).
    // Conditional-check failures are handled by the callers that expect them, before this point.
    return { kind: 'permanent', code: name, message };
  }
  return { kind: 'transient', code: name === 'Error' ? 'UNKNOWN' : name, message };
}

export function isTransient(error: unknown): boolean {
  return classifyError(error).kind === 'transient';
}
