import { removeSqsRefusedCharacters } from '@platform/contracts';
import { SegmentedMessage } from 'sms-segments-calculator';

/**
 * THE policy for an inviter's display name (the JWT `name` claim), applied once where the name
 * enters invite-api (the authenticator). The result is safe to show in an SMS and to put on any
 * queue, and calling it again changes nothing. docs/invitations.md describes the same rules.
 *
 * 1. Lone surrogates go (a string from JSON may hold them; no queue or provider takes them).
 * 2. Unicode NFC, so "é" is one character however the issuer wrote it.
 * 3. Control characters, line and paragraph separators and other whitespace become one space.
 * 4. Invisible characters go: bidi controls (an RLO would turn "Bob" around the code and link in
 *    the SMS), zero-width spaces, word joiners, BOMs, soft hyphens, fillers, noncharacters
 *    (U+FFFE, U+FFFF, ...) and whatever else SQS refuses. What makes visible text is kept:
 *    ZWJ/ZWNJ between letters or inside an emoji sequence (a family emoji is one picture only with
 *    its ZWJs), variation selectors after a character (❤️), tag characters of a flag (England).
 * 5. Cut by grapheme cluster (Intl.Segmenter), never inside one, to MAX_NAME_UNITS of the name's
 *    SMS encoding: GSM-7 septets when the kept name is GSM-7 (extension characters such as € count
 *    two), else UTF-16 units (UCS-2; an emoji counts two). No "…" is added: it is not GSM-7 and
 *    would turn a one-segment SMS into a two-segment UCS-2 one.
 * 6. Nothing visible left (absent, not a string, only zero-width spaces): FALLBACK_NAME.
 */
export const MAX_NAME_UNITS = 40;
/** A grapheme cluster longer than this is a pile of combining marks ("Zalgo"), not a name: dropped. */
export const MAX_CLUSTER_CODE_POINTS = 16;
export const FALLBACK_NAME = 'A friend';
/** Longer input is cut before any work, so a huge claim costs no more than a long name. */
const MAX_INPUT_UNITS = 1024;

const LONE_SURROGATE = /\p{Cs}/gu;
const SPACING = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu;
// Default_Ignorable_Code_Point covers the bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9),
// zero-width characters (U+200B-D, U+2060-4, U+FEFF), soft hyphen, fillers, variation selectors
// and tags; \p{Cf} the remaining format characters; plus noncharacters.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Noncharacter_Code_Point}]/u;
const JOINER = /[\u200C\u200D]/u;
const VARIATION_SELECTOR = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;
const TAG = /[\u{E0020}-\u{E007F}]/u;
const JOINABLE = /[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}]/u;
const EMOJI_TAG_BASE = '\u{1F3F4}'; // 🏴, the base of the subdivision flags

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

export function safeDisplayName(raw: unknown): string {
  if (typeof raw !== 'string') return FALLBACK_NAME;
  const text = raw
    .slice(0, MAX_INPUT_UNITS)
    .replace(LONE_SURROGATE, '')
    .normalize('NFC')
    .replace(SPACING, ' ');
  // NFC again: removing an invisible character can leave a decomposed pair it had kept apart.
  const visible = removeSqsRefusedCharacters(removeInvisible(text))
    .normalize('NFC')
    .replace(/ {2,}/g, ' ')
    .trim();
  const name = truncate(visible).trim();
  return name === '' ? FALLBACK_NAME : name;
}

/** Invisible characters out, except where they are part of what is seen (see the policy above). */
function removeInvisible(text: string): string {
  const chars = Array.from(text);
  const kept: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    if (!INVISIBLE.test(char) || keepsMeaning(char, kept, chars[i + 1] ?? '')) kept.push(char);
  }
  return kept.join('');
}

function keepsMeaning(char: string, kept: readonly string[], after: string): boolean {
  const before = kept.at(-1) ?? '';
  if (JOINER.test(char)) return JOINABLE.test(before) && JOINABLE.test(after);
  if (VARIATION_SELECTOR.test(char))
    return before !== '' && before !== ' ' && !VARIATION_SELECTOR.test(before);
  if (TAG.test(char)) return tagSequenceContinues(kept);
  return false;
}

/** A tag character belongs to a flag when the kept text ends in 🏴 plus tag characters only. */
function tagSequenceContinues(kept: readonly string[]): boolean {
  let j = kept.length - 1;
  while (j >= 0 && TAG.test(kept[j] ?? '') && kept[j] !== '\u{E007F}') j--;
  return kept[j] === EMOJI_TAG_BASE;
}

/** The longest prefix of whole grapheme clusters within MAX_NAME_UNITS (see the policy above). */
function truncate(name: string): string {
  const clusters = Array.from(graphemes.segment(name), ({ segment }) => segment).filter(
    (cluster) => Array.from(cluster).length <= MAX_CLUSTER_CODE_POINTS,
  );
  // GSM-7 first: when everything up to the cut is GSM-7 the SMS stays GSM-7 (an emoji far beyond
  // the cut of a long name falls off instead of turning the whole SMS into UCS-2).
  return prefixWithin(clusters, gsm7Septets) ?? prefixWithin(clusters, (cluster) => cluster.length) ?? '';
}

/**
 * Whole clusters while they fit. Undefined when `cost` cannot encode a cluster before the budget
 * is used up (a non-GSM-7 character): the prefix then needs the other encoding.
 */
function prefixWithin(
  clusters: readonly string[],
  cost: (cluster: string) => number | undefined,
): string | undefined {
  let used = 0;
  let prefix = '';
  for (const cluster of clusters) {
    const units = cost(cluster);
    if (units === undefined) return undefined;
    if (used + units > MAX_NAME_UNITS) break;
    used += units;
    prefix += cluster;
  }
  return prefix;
}

// sms-segments-calculator (Twilio's segment calculator) holds the GSM 03.38 tables: the basic set
// (one septet) and the extension set (two: ESC + character).
function gsm7Septets(cluster: string): number | undefined {
  const chars = new SegmentedMessage(cluster, 'auto').encodedChars;
  if (!chars.every((char) => char.isGSM7)) return undefined;
  return chars.reduce((sum, char) => sum + char.codeUnits.length, 0);
}

export function isGsm7(text: string): boolean {
  return new SegmentedMessage(text, 'auto').encodingName === 'GSM-7';
}
