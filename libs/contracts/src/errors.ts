import { PermanentError } from '@platform/errors';

/** Why a message was refused; also the `dlq-reason` attribute value when it is dead-lettered. */
export type ContractViolationReason =
  | 'MISSING_ATTRIBUTE'
  | 'UNKNOWN_CONTRACT'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_JSON'
  | 'SCHEMA_VIOLATION'
  /** A string holds a character SQS refuses (a noncharacter, a lone surrogate, a C0 control). */
  | 'INVALID_CHARACTERS'
  | 'MESSAGE_TOO_LARGE';

/** One validation failure: a JSON pointer into the payload (or envelope), the failed keyword, a message. */
export interface ContractErrorDetail {
  /** JSON pointer to the offending value; for a missing or unexpected property it names that property. */
  path: string;
  /** The JSON Schema keyword that failed (`required`, `pattern`, `oneOf`, ...) or an envelope check. */
  keyword: string;
  /** Human-readable; never contains the payload's values (phone numbers stay out of logs). */
  message: string;
}

export interface ContractViolationOptions {
  contract?: string | undefined;
  version?: string | number | undefined;
  errors?: readonly ContractErrorDetail[];
  cause?: unknown;
}

/**
 * A message that breaks its contract. Permanent: redelivering the same bytes fails the same way,
 * so consumers dead-letter it at once (see `deadLetterAttributes`) instead of retrying.
 */
export class ContractViolation extends PermanentError {
  override readonly name = 'ContractViolation';
  readonly reason: ContractViolationReason;
  readonly contract: string | undefined;
  readonly version: string | number | undefined;
  readonly errors: readonly ContractErrorDetail[];

  constructor(reason: ContractViolationReason, message: string, options: ContractViolationOptions = {}) {
    const errors = options.errors ?? [];
    super(reason, message, {
      cause: options.cause,
      details: { reason, contract: options.contract, version: options.version, errors },
    });
    this.reason = reason;
    this.contract = options.contract;
    this.version = options.version;
    this.errors = errors;
  }
}
