const MASK = '***';
const REDACTED = '[REDACTED]';

/**
 * Masks a phone number for logs: keeps the `+`, the first 4 digits (country code plus the start
 * of the national number, enough to see the country and region) and the last 4 digits (enough
 * to tell two numbers apart in an incident), and replaces everything between with `***`:
 * `+14155552671` -> `+1415***2671`, `+447911123456` -> `+4479***3456`.
 * Numbers of 8 digits or fewer keep only 2 + 2 digits so that at least half stays hidden.
 * Separators (spaces, dashes, brackets) are ignored. Anything that is not a phone number
 * (letters, fewer than 5 digits, not a string) becomes `[REDACTED]`: never log what we cannot mask.
 */
export function maskPhone(value: unknown): string {
  if (typeof value !== 'string') return REDACTED;
  const trimmed = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return REDACTED;
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < 5) return REDACTED;
  const keep = digits.length <= 8 ? 2 : 4;
  const prefix = trimmed.startsWith('+') ? '+' : '';
  return `${prefix}${digits.slice(0, keep)}${MASK}${digits.slice(-keep)}`;
}
