/**
 * What an AWS SDK v3 error (or any thrown value) says about itself, read once and typed: every
 * module that inspects SDK error shapes uses this instead of probing `$metadata`, `name` or `code`
 * by hand. Nothing is cast through `any`; a field of the wrong type reads as absent.
 */
export interface SdkErrorInfo {
  /** The exception name (`ThrottlingException`, `NoSuchKey`), `Error` when there is none. */
  name: string;
  message: string;
  /** Node's network error code (`ECONNRESET`) when the failure happened below HTTP. */
  code: string | undefined;
  /** HTTP status of the answer (`$metadata.httpStatusCode`), when one arrived. */
  status: number | undefined;
  /** `$fault`: whose fault AWS says it was. */
  fault: 'client' | 'server' | undefined;
  /** The SDK's own retry hint (`$retryable` present). */
  retryable: boolean;
  /** True when the value carries `$metadata`, i.e. it is an AWS service's answer. */
  fromSdk: boolean;
}

export function sdkErrorInfo(error: unknown): SdkErrorInfo {
  // `in`, not a spread: an Error's name and message live on its prototype or are non-enumerable.
  const metadata = readField(error, '$metadata');
  const status = readField(metadata, 'httpStatusCode');
  const fault = readField(error, '$fault');
  const retryable = readField(error, '$retryable');
  return {
    name: readString(error, 'name') ?? 'Error',
    message: readString(error, 'message') ?? String(error),
    code: readString(error, 'code'),
    status: typeof status === 'number' ? status : undefined,
    fault: fault === 'client' || fault === 'server' ? fault : undefined,
    retryable: retryable !== undefined && retryable !== null,
    fromSdk: typeof metadata === 'object' && metadata !== null,
  };
}

function readField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function readString(value: unknown, key: string): string | undefined {
  const field = readField(value, key);
  return typeof field === 'string' ? field : undefined;
}
