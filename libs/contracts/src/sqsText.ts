/**
 * The characters SQS accepts in a message body and in String attribute values:
 * #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
 * Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 * Anything else (other C0 controls, lone surrogates, U+FFFE / U+FFFF) gets `InvalidMessageContents`.
 * With the `u` flag a lone surrogate is one code point of its own, so it matches here while a
 * well-formed pair (a character above U+FFFF) does not.
 */
const SQS_REFUSED_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** The first character SQS would refuse, as `U+XXXX`, or undefined when it can carry all of `text`. */
export function sqsRefusedCharacter(text: string): string | undefined {
  SQS_REFUSED_CHARACTER.lastIndex = 0;
  const match = SQS_REFUSED_CHARACTER.exec(text);
  SQS_REFUSED_CHARACTER.lastIndex = 0;
  return match === null ? undefined : codePointLabel(match[0]);
}

/** `text` without the characters SQS refuses (for text that is made safe rather than refused). */
export function removeSqsRefusedCharacters(text: string): string {
  return text.replace(SQS_REFUSED_CHARACTER, '');
}

/** `text` with each character SQS refuses written as its `U+XXXX` label (safe to log and to send). */
export function labelSqsRefusedCharacters(text: string): string {
  return text.replace(SQS_REFUSED_CHARACTER, (character) => `<${codePointLabel(character)}>`);
}

/**
 * JSON with every character outside printable ASCII written as a `\uXXXX` escape (a character above
 * U+FFFF as its two surrogate escapes, as JSON defines). Every JSON parser reads it back to the same
 * value, and every queue accepts its bytes: the local SQS emulator refuses characters above U+FFFF
 * that real SQS takes (emoji), and ASCII keeps a name with emoji working on both.
 * Works on UTF-16 code units on purpose (no `u` flag): a pair becomes two escapes.
 */
export function asciiJson(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function codePointLabel(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}
