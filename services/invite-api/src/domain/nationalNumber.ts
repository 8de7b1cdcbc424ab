import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * With a default country configured (DEFAULT_COUNTRY), a number typed the national way, e.g.
 * "(415) 555-2671" for US, is rewritten to international format before the usual checks
 * (domain/phone.ts), which then apply unchanged. Input already starting with "+" is left alone, and
 * so is anything libphonenumber-js cannot read as a number of that country: the checks then refuse
 * it with their own precise reason.
 */
export function toInternationalFormat(input: string, defaultCountry: CountryCode | undefined): string {
  const trimmed = input.trim();
  if (defaultCountry === undefined || trimmed.startsWith('+')) return input;
  // Only what a person types for a national number: digits and the usual separators.
  if (!/^[0-9(][0-9 ().-]{3,30}$/.test(trimmed)) return input;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry);
  return parsed === undefined ? input : parsed.number;
}
