import { classifyError, sdkErrorInfo } from '@platform/errors';
import { isClientInputError } from '@platform/service-runtime';
import type { Logger } from '@platform/telemetry';
import { AppError, type ErrorCode } from '../errors.ts';
import type { AppMiddleware } from './types.ts';

/** The one error body shape of the API (components.schemas.ErrorResponse). */
export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

// Statuses Koa, the router and the body parser throw on their own, mapped onto our codes.
const HTTP_ERROR_CODES: Readonly<Record<number, { code: ErrorCode; message: string }>> = {
  400: { code: 'VALIDATION_ERROR', message: 'The request is malformed' },
  404: { code: 'NOT_FOUND', message: 'Not found' },
  405: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be application/json' },
};

/**
 * Registered first, so it sees every error. AppErrors become their JSON body; errors from Koa and
 * its middleware with a client status keep that status; AWS outages become 503 (the client may retry);
 * anything else is a bug: logged with its stack, answered 500 without its message.
 */
export function errorHandler(deps: { logger: Logger }): AppMiddleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const appError = toAppError(error, { clientGone: requestGone(ctx.req) });
      const log = (ctx.state.log as Logger | undefined) ?? deps.logger;
      if (appError.isOperational)
        log.debug({ code: appError.code, status: appError.status }, appError.message);
      else log.error({ err: error, code: appError.code }, 'request failed');
      ctx.status = appError.status;
      ctx.set(appError.headers);
      const body: ErrorBody = {
        success: false,
        error: {
          code: appError.code,
          message: appError.message,
          ...(appError.details === undefined ? {} : { details: appError.details }),
        },
      };
      ctx.body = body;
    }
  };
}

/**
 * `clientGone`: the request's own stream was aborted or destroyed. A connection code such as
 * ECONNRESET is the client's doing only then; the same code from an outbound call (DynamoDB's answer
 * lost) is an outage of the dependency, a 503 the client may retry, never a 400.
 */
export function toAppError(error: unknown, { clientGone = false }: { clientGone?: boolean } = {}): AppError {
  if (error instanceof AppError) return error;
  // The body stream failed because of the client: broken chunked framing (HPE_*), a connection
  // reset mid-body. A 400, never a 5xx or an error-level log.
  if (isClientInputError(error) && (clientGone || isParserError(error))) {
    return new AppError('VALIDATION_ERROR', 'The request is malformed', { cause: error });
  }
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const mapped = HTTP_ERROR_CODES[status] ?? HTTP_ERROR_CODES[400];
    if (mapped !== undefined) return new AppError(mapped.code, mapped.message, { cause: error });
  }
  if (isAwsOutage(error)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; please retry', {
      cause: error,
      headers: { 'Retry-After': '1' },
      isOperational: false,
    });
  }
  return new AppError('INTERNAL_ERROR', 'Internal error', { cause: error, isOperational: false });
}

function isParserError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('HPE_');
}

/** Destroyed or errored before its end: `destroyed` alone is also true after a normal end (autoDestroy). */
function requestGone(req: { readableAborted?: boolean }): boolean {
  return req.readableAborted === true;
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // http-errors (Koa's ctx.throw, co-body, raw-body) set both `status` and `expose`; a bare `status`
  // on some other error is not a client error we can vouch for.
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && expose === true ? status : undefined;
}

/**
 * An AWS SDK error or a network failure that the platform's one classification calls transient: the
 * dependency is down, not us. Other errors (bugs) stay 500 even though classifyError, which errs on
 * the side of retrying, would call an unknown error transient.
 */
function isAwsOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const classified = classifyError(error);
  if (classified.kind !== 'transient') return false;
  const info = sdkErrorInfo(error);
  return info.fromSdk || classified.code === 'ABORTED' || classified.code === info.code;
}
