import { bodyParser } from '@koa/bodyparser';
import { AppError } from '../errors.ts';
import type { AppMiddleware } from './types.ts';

export interface JsonBodyOptions {
  /** Largest accepted body, bytes (after decompression). */
  limitBytes: number;
}

/**
 * JSON bodies only, bounded in size. The content type is checked before a byte is read (415), a
 * declared Content-Length over the limit is refused without reading (413), and the parser stops at the
 * limit for chunked or compressed bodies. Parse failures become VALIDATION_ERROR, never a 500.
 */
export function jsonBody(options: JsonBodyOptions): AppMiddleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    // Only plain application/json (the default list also takes csp-report and friends).
    extendTypes: { json: ['application/json'] },
    jsonLimit: options.limitBytes,
    jsonStrict: true,
    encoding: 'utf-8',
    onError: (error) => {
      throw parserError(error, options.limitBytes);
    },
  });
  return async (ctx, next) => {
    // Media types are case-insensitive (RFC 9110); Koa's `type` is the header as sent, minus parameters.
    if (ctx.request.type.trim().toLowerCase() !== 'application/json') {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'The request body must be JSON sent as Content-Type: application/json',
        {
          details: { received: ctx.request.type.slice(0, 100) || null },
        },
      );
    }
    const charset = ctx.request.charset;
    if (charset !== '' && !['utf-8', 'utf8'].includes(charset.toLowerCase())) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'JSON must be UTF-8 encoded', {
        details: { received: charset.slice(0, 40) },
      });
    }
    const declared = ctx.request.length;
    if (declared !== undefined && declared > options.limitBytes) throw tooLarge(options.limitBytes);
    await parse(ctx, async () => {});
    const body: unknown = ctx.request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError('VALIDATION_ERROR', 'The request body must be a JSON object', {
        details: { reason: 'NOT_AN_OBJECT' },
      });
    }
    await next();
  };
}

function tooLarge(limitBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body must be at most ${limitBytes} bytes`, {
    details: { limitBytes },
  });
}

function parserError(error: Error, limitBytes: number): AppError {
  const { status, type } = error as Error & { status?: unknown; type?: unknown };
  if (status === 413 || type === 'entity.too.large') return tooLarge(limitBytes);
  if (status === 415) {
    // Unsupported Content-Encoding or charset (raw-body); the message names which.
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding or charset', {
      cause: error,
    });
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return new AppError('VALIDATION_ERROR', 'The request body is incomplete', {
      cause: error,
      details: { reason: 'INCOMPLETE_BODY' },
    });
  }
  // co-body's JSON.parse failure. Its message quotes the input (it may hold a phone number): dropped.
  return new AppError('VALIDATION_ERROR', 'The request body is not valid JSON', {
    cause: error,
    details: { reason: 'MALFORMED_JSON' },
  });
}
