import { maskPhone } from './maskPhone.ts';

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets: removed from every log line (value replaced). */
export const SECRET_KEYS = [
  'authorization',
  'token',
  'accessToken',
  'refreshToken',
  'jwt',
  'password',
  'secret',
  'cookie',
];
/** Keys holding phone numbers: masked with maskPhone (kept partially, for debugging). */
export const PHONE_KEYS = ['phoneNumber', 'phone', 'phone_number', 'to'];

// pino's redaction (fast-redact) compiles explicit paths; it supports one `*` per path segment
// but no "any depth" wildcard, so each key is listed at the top level and 1 to 3 levels deep
// (log objects here are shallow: { req: { headers: { authorization } } } is the deepest).
const DEPTHS = ['', '*.', '*.*.', '*.*.*.'];

export function redactionPaths(keys: readonly string[]): string[] {
  return DEPTHS.flatMap((prefix) => keys.map((key) => `${prefix}${key}`));
}

const phoneKeys = new Set(PHONE_KEYS);

/** pino `redact.censor`: phone numbers are masked, everything else listed is replaced. */
export function censor(value: unknown, path: string[]): string {
  const key = path.at(-1);
  if (key !== undefined && phoneKeys.has(key)) return maskPhone(value);
  return REDACTED;
}
