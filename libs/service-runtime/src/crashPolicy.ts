/**
 * Which uncaught errors are a client's doing and so never a reason to stop: a peer that reset or
 * closed its connection, bytes Node's HTTP parser refused, a request that arrived too slowly. These
 * are normally handled where they happen (answerClientErrors, the streams' own error handlers); an
 * emitter somewhere without an 'error' listener must still not turn one client into an outage.
 * Everything else that reaches 'uncaughtException' is a bug: logged at fatal, then a graceful stop
 * with exit 70 (EXIT_CODES.bug), since the process state can no longer be trusted.
 */
const CLIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP_REQUEST_TIMEOUT',
  'ERR_STREAM_WRITE_AFTER_END',
]);

export function isClientInputError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  let code: unknown;
  try {
    code = (error as { code?: unknown }).code;
  } catch {
    return false;
  }
  return typeof code === 'string' && (CLIENT_CODES.has(code) || code.startsWith('HPE_'));
}
