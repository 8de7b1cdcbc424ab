// The `max` metadata: `isValid()` then checks the full number patterns per region (the default
// `min` metadata only checks lengths) and `getType()` can tell mobile from premium-rate numbers.
import { parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';

export interface PhonePolicy {
  /** ISO 3166-1 alpha-2 regions whose numbers may be invited; `'*'` allows every region. */
  allowedCountries: ReadonlySet<string> | '*';
}

export type PhoneCheck =
  | { ok: true; e164: string; country: CountryCode | undefined }
  | {
      ok: false;
      code: 'INVALID_PHONE_NUMBER' | 'COUNTRY_NOT_ALLOWED';
      reason: PhoneRejection;
      message: string;
    };

export type PhoneRejection =
  'NOT_INTERNATIONAL_FORMAT' | 'INVALID_NUMBER' | 'NOT_SMS_CAPABLE' | 'COUNTRY_NOT_ALLOWED';

// Only what a person types: '+', digits and the usual separators. libphonenumber-js itself is lenient
// (it extracts a number from "tel:+1...", "+1... abc", "+1... x3" (an extension) or strings with
// control characters), so this gate keeps inputs that merely contain a number from being accepted.
const INTERNATIONAL_FORMAT = /^\+[0-9][0-9 ().-]{3,30}$/;

// Types that can receive an SMS. FIXED_LINE_OR_MOBILE covers the NANP (+1), whose numbering plan
// does not tell the two apart. Premium-rate, toll-free, shared-cost and "personal" numbers are what
// SMS pumping fraud sends to, so they are refused even where a provider would accept them.
const SMS_CAPABLE_TYPES: ReadonlySet<NumberType> = new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * Validates a phone number typed by a user and normalises it to E.164. Only numbers in international
 * format are accepted: the API has no notion of the caller's home country to read a national number in.
 */
export function checkPhoneNumber(input: string, policy: PhonePolicy): PhoneCheck {
  const trimmed = input.trim();
  if (!INTERNATIONAL_FORMAT.test(trimmed)) {
    return reject(
      'INVALID_PHONE_NUMBER',
      'NOT_INTERNATIONAL_FORMAT',
      'phoneNumber must be in international format: "+", the country code and the number, e.g. +14155552671',
    );
  }
  const parsed = parsePhoneNumberFromString(trimmed);
  if (parsed === undefined || !parsed.isValid()) {
    return reject(
      'INVALID_PHONE_NUMBER',
      'INVALID_NUMBER',
      'phoneNumber is not a valid phone number (no such number range exists)',
    );
  }
  const type = parsed.getType();
  if (type === undefined || !SMS_CAPABLE_TYPES.has(type)) {
    return reject(
      'INVALID_PHONE_NUMBER',
      'NOT_SMS_CAPABLE',
      `phoneNumber cannot receive SMS invitations (number type: ${type ?? 'unknown'})`,
    );
  }
  if (policy.allowedCountries !== '*') {
    const country = parsed.country;
    if (country === undefined || !policy.allowedCountries.has(country)) {
      return reject(
        'COUNTRY_NOT_ALLOWED',
        'COUNTRY_NOT_ALLOWED',
        `Invitations cannot be sent to numbers in ${country ?? 'this numbering zone'}`,
      );
    }
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

function reject(
  code: 'INVALID_PHONE_NUMBER' | 'COUNTRY_NOT_ALLOWED',
  reason: PhoneRejection,
  message: string,
): PhoneCheck {
  return { ok: false, code, reason, message };
}
