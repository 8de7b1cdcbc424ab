import type { SendOutcome } from '../errors.ts';

// Failures that happen before a request is on the wire: the provider cannot have accepted anything.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Failures after the request may have been written: the provider may have accepted the message.
const MAYBE_SENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface NetworkFailure {
  code: string;
  outcome: SendOutcome;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function nameOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const name = (value as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Recognises a network-level failure (Node socket errors, undici's `fetch failed` whose `cause`
 * carries the code, an abort or timeout) and says whether the request may have reached the provider.
 * Returns undefined for anything else (an answer from the provider, a programming error).
 */
export function networkFailureOf(error: unknown): NetworkFailure | undefined {
  const name = nameOf(error);
  // Our own per-call timeout or a shutdown abort: the request may already be at the provider.
  if (name === 'AbortError' || name === 'TimeoutError') return { code: name, outcome: 'unknown' };
  for (const candidate of [error, (error as { cause?: unknown } | null)?.cause]) {
    const code = codeOf(candidate);
    if (code === undefined) continue;
    if (NOT_SENT_CODES.has(code)) return { code, outcome: 'not-sent' };
    if (MAYBE_SENT_CODES.has(code)) return { code, outcome: 'unknown' };
  }
  // undici: `TypeError: fetch failed` with a cause we do not recognise is still a network failure.
  if (error instanceof TypeError && error.message === 'fetch failed')
    return { code: 'FETCH_FAILED', outcome: 'unknown' };
  return undefined;
}
