import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: nothing a person reading an SMS aloud can confuse. 31 symbols. */
export const INVITE_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const INVITE_CODE_PREFIX = 'APP-';
export const INVITE_CODE_LENGTH = 6;
export const INVITE_CODE_PATTERN = new RegExp(
  `^${INVITE_CODE_PREFIX}[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`,
);

export type InviteCodeGenerator = () => string;

/**
 * Codes like `APP-8F3K92`: 31^6 = 887,503,681 possible codes. Uniqueness is enforced by a conditional
 * write of a code item, not by the generator; a collision is retried with a new code.
 * `randomInt` is the CSPRNG (node:crypto, rejection sampling, so every symbol is equally likely);
 * a code must not be guessable from the ones a user has seen.
 */
export function createInviteCodeGenerator(
  random: (maxExclusive: number) => number = randomInt,
): InviteCodeGenerator {
  return () => {
    let code = INVITE_CODE_PREFIX;
    for (let i = 0; i < INVITE_CODE_LENGTH; i++)
      code += INVITE_CODE_ALPHABET[random(INVITE_CODE_ALPHABET.length)];
    return code;
  };
}
