import { PermanentError, TransientError } from '@platform/errors';
import type { ProviderName } from './providers/types.ts';

/**
 * The sms-sender's error vocabulary. Each provider adapter maps its vendor's failures ONCE, at its
 * boundary, into one of the two classes below; everything after the port (ledger, status events,
 * metrics, retries) only reads `code`, `retryable` and `outcome`. `classifyError` from
 * `@platform/errors` then answers transient-vs-permanent for them like for any PlatformError.
 */

/** Stable codes, also the `error.code` of a failed `sms.status` event. */
export type SmsFailureCode =
  /** The provider says the number cannot receive SMS (malformed, landline, unknown). */
  | 'INVALID_PHONE_NUMBER'
  /** The recipient replied STOP (SNS opt-out list, Twilio 21610). Never retried, never re-sent. */
  | 'OPTED_OUT'
  /** Any other refusal of this particular message (content, region not enabled, ...). */
  | 'PROVIDER_REJECTED'
  /** The provider throttled us despite the client-side rate limit. */
  | 'PROVIDER_THROTTLED'
  /** 5xx or an unknown failure on the provider side. */
  | 'PROVIDER_UNAVAILABLE'
  /** The request did not complete on the network (refused, reset, DNS, timeout). */
  | 'PROVIDER_UNREACHABLE'
  /** Credentials or permissions are wrong: an operator problem, not the invitation's. */
  | 'PROVIDER_MISCONFIGURED'
  /** The request names a template this sender does not know. */
  | 'TEMPLATE_UNKNOWN'
  /** A previous attempt may have been accepted by the provider; policy `give-up` chose not to resend. */
  | 'SEND_OUTCOME_UNKNOWN'
  /** Transient failures went on for every allowed attempt. */
  | 'ATTEMPTS_EXHAUSTED';

/**
 * Whether the provider may have accepted the message despite the error. `not-sent` when the request
 * provably never reached it (connection refused, a 4xx/5xx answer); `unknown` when it may have
 * (a timeout or a reset after the request was written). Drives the crash-window policy.
 */
export type SendOutcome = 'not-sent' | 'unknown';

export interface SmsSendErrorArgs {
  code: SmsFailureCode;
  message: string;
  provider: ProviderName;
  /** The vendor's own error name or code (e.g. `OptedOutException`, Twilio `21610`), for logs. */
  providerCode: string | undefined;
  /** HTTP status when the provider answered. */
  httpStatus?: number | undefined;
  outcome?: SendOutcome;
  cause?: unknown;
}

function details(args: SmsSendErrorArgs): Record<string, unknown> {
  return { provider: args.provider, providerCode: args.providerCode, httpStatus: args.httpStatus };
}

/** The provider refused this message for good: record `failed`, publish it, never retry. */
export class SmsPermanentFailure extends PermanentError {
  override readonly name = 'SmsPermanentFailure';
  declare readonly code: SmsFailureCode;
  readonly provider: ProviderName;
  readonly providerCode: string | undefined;
  readonly httpStatus: number | undefined;
  /** A refusal is an answer: the provider did not take the message. */
  readonly outcome: SendOutcome = 'not-sent';

  constructor(args: SmsSendErrorArgs) {
    super(args.code, args.message, { cause: args.cause, details: details(args) });
    this.provider = args.provider;
    this.providerCode = args.providerCode;
    this.httpStatus = args.httpStatus;
  }
}

/** The provider could not take the message now: retry with backoff (SQS visibility). */
export class SmsTransientFailure extends TransientError {
  override readonly name = 'SmsTransientFailure';
  declare readonly code: SmsFailureCode;
  readonly provider: ProviderName;
  readonly providerCode: string | undefined;
  readonly httpStatus: number | undefined;
  readonly outcome: SendOutcome;

  constructor(args: SmsSendErrorArgs) {
    super(args.code, args.message, {
      cause: args.cause,
      details: { ...details(args), outcome: args.outcome },
    });
    this.provider = args.provider;
    this.providerCode = args.providerCode;
    this.httpStatus = args.httpStatus;
    this.outcome = args.outcome ?? 'not-sent';
  }
}

export type SmsSendError = SmsPermanentFailure | SmsTransientFailure;

export function isSmsSendError(error: unknown): error is SmsSendError {
  return error instanceof SmsPermanentFailure || error instanceof SmsTransientFailure;
}

/** A request whose template is unknown to this sender: permanent, the same message fails the same way. */
export class UnknownTemplateError extends PermanentError {
  override readonly name = 'UnknownTemplateError';
  declare readonly code: 'TEMPLATE_UNKNOWN';
  readonly template: string;

  constructor(template: string, known: readonly string[]) {
    super('TEMPLATE_UNKNOWN', `Unknown SMS template "${template}"; known: ${known.join(', ')}`, {
      details: { template },
    });
    this.template = template;
  }
}
