/**
 * Opt-out and opt-in keywords of an inbound SMS. The union of the carriers' and providers' standard
 * lists (CTIA: STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE; Twilio adds STOPALL, OPTOUT;
 * START, UNSTOP and YES opt back in). A keyword counts only as the whole message (case, spaces and
 * trailing punctuation ignored): "please stop by later" is a conversation, not an opt-out.
 */
export type KeywordAction = 'opt-out' | 'opt-in';

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'UNSTOP', 'YES']);

/** `{ action, keyword }` for a keyword message, undefined for anything else (HELP, free text). */
export function classifyKeyword(body: unknown): { action: KeywordAction; keyword: string } | undefined {
  if (typeof body !== 'string' || body.length > 64) return undefined;
  const keyword = body
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\p{P}]+/gu, '');
  if (OPT_OUT.has(keyword)) return { action: 'opt-out', keyword };
  if (OPT_IN.has(keyword)) return { action: 'opt-in', keyword };
  return undefined;
}
