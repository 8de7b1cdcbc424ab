/** A resource could not be created or brought to its definition. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  readonly resource: string;

  constructor(resource: string, message: string, options: { cause?: unknown } = {}) {
    super(`${resource}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.resource = resource;
  }
}

/** An SDK error's name, HTTP status, without casting through `any`. */
export function awsErrorInfo(err: unknown): { name: string; status: number | undefined } {
  if (typeof err !== 'object' || err === null) return { name: String(err), status: undefined };
  const name = 'name' in err && typeof err.name === 'string' ? err.name : 'Error';
  const metadata = '$metadata' in err ? err.$metadata : undefined;
  const status =
    typeof metadata === 'object' &&
    metadata !== null &&
    'httpStatusCode' in metadata &&
    typeof metadata.httpStatusCode === 'number'
      ? metadata.httpStatusCode
      : undefined;
  return { name, status };
}

/** Emulators answer operations they lack in different ways; all of these mean "not available here". */
export function isUnsupportedOperation(err: unknown): boolean {
  const { name, status } = awsErrorInfo(err);
  return (
    status === 501 ||
    name === 'NotImplemented' ||
    name === 'UnknownOperationException' ||
    name === 'UnsupportedOperation' ||
    name === 'InvalidAction'
  );
}
