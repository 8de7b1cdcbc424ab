import { sdkErrorInfo } from '@platform/errors';

/** A resource could not be created or brought to its definition. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  readonly resource: string;

  constructor(resource: string, message: string, options: { cause?: unknown } = {}) {
    super(`${resource}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.resource = resource;
  }
}

/** Emulators answer operations they lack in different ways; all of these mean "not available here". */
export function isUnsupportedOperation(err: unknown): boolean {
  const { name, status } = sdkErrorInfo(err);
  return (
    status === 501 ||
    name === 'NotImplemented' ||
    name === 'UnknownOperationException' ||
    name === 'UnsupportedOperation' ||
    name === 'InvalidAction'
  );
}
