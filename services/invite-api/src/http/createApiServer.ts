import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type Koa from 'koa';
import { answerClientErrors, type ClientErrorRefusal } from '@platform/service-runtime';
import type { Logger } from '@platform/telemetry';
import type { ErrorCode } from '../errors.ts';
import type { ErrorBody } from './errorHandler.ts';
import type { AppState } from './types.ts';

/**
 * The documented bound on request headers (docs/invitations.md, "Bounded input"): 16 KiB in total,
 * Node's own default, set explicitly so the bound and the docs cannot drift. A larger request
 * (a 100 KiB Authorization header) is refused by the parser and answered 431 HEADERS_TOO_LARGE with
 * the API's JSON error body, like every other error of the API.
 */
export const MAX_HEADER_BYTES = 16 * 1024;

const API_CODES: Record<ClientErrorRefusal['code'], { code: ErrorCode; message: string }> = {
  MALFORMED_REQUEST: { code: 'VALIDATION_ERROR', message: 'The request is malformed' },
  REQUEST_TIMEOUT: { code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive' },
  HEADERS_TOO_LARGE: {
    code: 'HEADERS_TOO_LARGE',
    message: `The request headers exceed ${MAX_HEADER_BYTES} bytes`,
  },
};

/** The node:http server for the API: header bound, timeouts, and malformed requests answered in JSON. */
export function createApiServer(deps: { app: Koa<AppState>; logger: Logger }): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, deps.app.callback());
  // Keep-alive longer than a typical load balancer's idle timeout (60 s), so the balancer closes first
  // and never sends a request on a connection we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  answerClientErrors(server, deps, {
    body: (refusal) => {
      const { code, message } = API_CODES[refusal.code];
      const body: ErrorBody = { success: false, error: { code, message } };
      return {
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(body),
        headers: { 'X-Request-Id': randomUUID() },
      };
    },
  });
  return server;
}
