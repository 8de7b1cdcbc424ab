/**
 * The platform's error vocabulary. Whether a failure is worth retrying is a property of the error
 * itself (`retryable`), so every consumer, CLI and HTTP handler asks the same question the same way.
 */
export interface PlatformErrorOptions {
  cause?: unknown;
  /** Structured, non-sensitive data a handler or a DLQ reason may carry along. */
  details?: Record<string, unknown>;
}

export abstract class PlatformError extends Error {
  /** A stable, machine-readable code such as `TEMPLATE_UNKNOWN` or `PROVIDER_THROTTLED`. */
  readonly code: string;
  readonly details: Record<string, unknown>;
  abstract readonly retryable: boolean;

  constructor(code: string, message: string, options: PlatformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A failure that will happen again however often it is retried: bad input, unknown template, opted out. */
export class PermanentError extends PlatformError {
  override readonly name: string = 'PermanentError';
  readonly retryable = false;
}

/** A failure that may pass on its own: throttling, a 5xx, a network fault, a lost race worth retrying. */
export class TransientError extends PlatformError {
  override readonly name: string = 'TransientError';
  readonly retryable = true;
}

/** Config that cannot start a process; each problem names the variable, the rule and what was received. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
