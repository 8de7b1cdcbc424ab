import { PermanentError, TransientError } from '@platform/errors';

/**
 * Why a lease write was refused: tells a log reader whether another worker took over or time simply
 * ran out. `deadline`: refused locally, before any request, because the holder's own monotonic lease
 * deadline (minus the safety margin) has passed (e.g. the process was paused).
 */
/** `cancelled`: the record was CANCELLED under the holder (a producer's cancel). */
export type LeaseLostReason = 'taken-over' | 'expired' | 'finished' | 'missing' | 'deadline' | 'cancelled';

/**
 * The fencing check failed: this owner no longer holds the lease (expired, taken over by another
 * worker, or the record moved on). The holder must stop without side effects. Transient because the
 * message itself is fine: a redelivery will find the record COMPLETED, busy or re-acquirable.
 */
export class LeaseLostError extends TransientError {
  override readonly name = 'LeaseLostError';
  readonly key: string;
  readonly owner: string;
  readonly version: number;
  readonly reason: LeaseLostReason;
  /** The record as DynamoDB returned it when the condition failed (absent if the item is gone). */
  readonly current: Record<string, unknown> | undefined;

  constructor(args: {
    key: string;
    owner: string;
    version: number;
    reason: LeaseLostReason;
    current: Record<string, unknown> | undefined;
    cause?: unknown;
  }) {
    super(
      'LEASE_LOST',
      `Lease on ${args.key} lost by ${args.owner} (version ${args.version}): ${args.reason}`,
      {
        cause: args.cause,
        details: { key: args.key, reason: args.reason },
      },
    );
    this.key = args.key;
    this.owner = args.owner;
    this.version = args.version;
    this.reason = args.reason;
    this.current = args.current;
  }
}

/** An object already exists under the key with DIFFERENT content: never overwrite, never hide it. */
export class ObjectConflictError extends PermanentError {
  override readonly name = 'ObjectConflictError';
  readonly bucket: string;
  readonly key: string;
  readonly expectedSha256: string;
  readonly storedSha256: string | undefined;

  constructor(args: {
    bucket: string;
    key: string;
    expectedSha256: string;
    storedSha256: string | undefined;
  }) {
    super(
      'OBJECT_CONFLICT',
      `s3://${args.bucket}/${args.key} already holds different content (stored sha256 ${args.storedSha256 ?? 'unknown'}, ours ${args.expectedSha256})`,
      { details: { ...args } },
    );
    this.bucket = args.bucket;
    this.key = args.key;
    this.expectedSha256 = args.expectedSha256;
    this.storedSha256 = args.storedSha256;
  }
}

/** Options of the consumer or ledger broke a documented limit; thrown at construction, never at runtime. */
export class InvalidOptionsError extends PermanentError {
  override readonly name = 'InvalidOptionsError';
  readonly problems: readonly string[];

  constructor(component: string, problems: readonly string[]) {
    super('INVALID_OPTIONS', `Invalid ${component} options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { problems },
    });
    this.problems = problems;
  }
}

/** The reason a handler's AbortSignal fired, so the handler (and the outcome log) can tell them apart. */
export class HandlerAbortedError extends TransientError {
  override readonly name = 'HandlerAbortedError';
  readonly reason: 'heartbeat-failed' | 'visibility-ceiling' | 'shutdown';

  constructor(reason: HandlerAbortedError['reason'], message: string, cause?: unknown) {
    super('HANDLER_ABORTED', message, { cause, details: { reason } });
    this.reason = reason;
  }
}

/**
 * An ack whose `deleteAfter` resolved false: the message was deliberately not deleted and reappears
 * after its visibility timeout. Reported as the outcome's settleError; not an SQS failure.
 */
export class AckWithheldError extends TransientError {
  override readonly name = 'AckWithheldError';
  constructor() {
    super(
      'ACK_WITHHELD',
      'the handler withheld the delete (its deleteAfter resolved false): the message reappears after its visibility timeout',
    );
  }
}
