import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@platform/telemetry';

/** What a refused request is answered with; the default is `{"error":{"code","message"}}`. */
export type ClientErrorBody = (refusal: ClientErrorRefusal) => {
  contentType: string;
  body: string;
  /** Extra response headers (e.g. a request id). */
  headers?: Record<string, string>;
};

export interface ClientErrorRefusal {
  status: 400 | 408 | 431;
  /** Machine-readable: MALFORMED_REQUEST, REQUEST_TIMEOUT or HEADERS_TOO_LARGE. */
  code: 'MALFORMED_REQUEST' | 'REQUEST_TIMEOUT' | 'HEADERS_TOO_LARGE';
  message: string;
}

const REASONS: Record<ClientErrorRefusal['status'], string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

// What a client does to its own connection: nothing to answer, nothing wrong with us.
const CONNECTION_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function refusalFor(error: { code?: unknown }): ClientErrorRefusal {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'HEADERS_TOO_LARGE',
        message: 'The request headers are larger than this server accepts',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive' };
    default:
      return { status: 400, code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1' };
  }
}

const defaultBody: ClientErrorBody = (refusal) => ({
  contentType: 'application/json',
  body: JSON.stringify({ error: { code: refusal.code, message: refusal.message } }),
});

/**
 * Answers what Node's HTTP parser refuses (broken chunked framing, bare LF line endings, bytes after
 * a short Content-Length, oversize headers, a request that arrives too slowly) with a status and a
 * machine-readable body, closes that connection, and logs one line at info (debug for a client that
 * hung up): a client's malformed bytes are the client's problem, never an error of ours and never a
 * reason to stop. Without a 'clientError' listener Node answers with a bare status line and no body.
 */
export function answerClientErrors(
  server: Server,
  deps: { logger: Logger },
  options: { body?: ClientErrorBody } = {},
): void {
  const render = options.body ?? defaultBody;
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (error.code !== undefined && CONNECTION_GONE.has(error.code)) {
      deps.logger.debug({ code: error.code }, 'client closed the connection mid-request');
      socket.destroy();
      return;
    }
    const refusal = refusalFor(error);
    deps.logger.info(
      { code: error.code, status: refusal.status, reason: error.message },
      'malformed request refused',
    );
    // A response the application already started writing on this socket cannot be followed by
    // ours (the bytes would interleave); Node does the same check for its own bare answer.
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inProgress?.headersSent !== true) {
      const { contentType, body, headers = {} } = render(refusal);
      const extra = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status]}\r\n` +
          `Content-Type: ${contentType}\r\n` +
          extra +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Cache-Control: no-store\r\n' +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroySoon();
  });
}
