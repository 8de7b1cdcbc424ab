/**
 * The API's error vocabulary. Every error a client can see has a stable `code` and a fixed HTTP
 * status (one table, so a code never changes status between routes); the error middleware turns an
 * AppError into `{ success: false, error: { code, message, details? } }`.
 */

/** Code -> HTTP status. Adding a code here is the only way to add one to the API. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_PHONE_NUMBER: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DUPLICATE_INVITATION: 409,
  INVITATION_NOT_ACCEPTABLE: 409,
  REQUEST_TIMEOUT: 408,
  INVITATION_NOT_REVOCABLE: 409,
  RESEND_NOT_ALLOWED: 409,
  INVITATION_EXPIRED: 410,
  INVITATION_REVOKED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  COUNTRY_NOT_ALLOWED: 422,
  PHONE_OPTED_OUT: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED_IP: 429,
  RATE_LIMITED_USER: 429,
  RATE_LIMITED_PHONE: 429,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED_RESEND: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface AppErrorOptions {
  /** Structured, non-sensitive data the client may use (field errors, the existing invite code). */
  details?: Record<string, unknown>;
  /** Response headers that belong to the error: Retry-After, WWW-Authenticate. */
  headers?: Record<string, string>;
  cause?: unknown;
  /**
   * True (default) for expected outcomes whose message is written for the client. False marks a
   * bug or an outage: the middleware logs it at error level and never shows its message.
   */
  isOperational?: boolean;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly isOperational: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.isOperational = options.isOperational ?? true;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/** A 429/503 with the Retry-After header (whole seconds until the window frees, at least 1). */
export function retryLaterError(
  code:
    | 'RATE_LIMITED_IP'
    | 'RATE_LIMITED_USER'
    | 'RATE_LIMITED_PHONE'
    | 'RATE_LIMITED_RESEND'
    | 'SERVICE_UNAVAILABLE',
  message: string,
  retryAfterSeconds: number,
  details: Record<string, unknown> = {},
): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new AppError(code, message, {
    details: { ...details, retryAfterSeconds: seconds },
    headers: { 'Retry-After': String(seconds) },
  });
}
