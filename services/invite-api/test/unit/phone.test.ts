import test from 'ava';
import { checkPhoneNumber, type PhoneCheck, type PhonePolicy } from '../../src/domain/phone.ts';

type Refusal = Extract<PhoneCheck, { ok: false }>;

const policy: PhonePolicy = { allowedCountries: new Set(['US', 'CA', 'GB']) };

const accepted: [input: string, e164: string][] = [
  ['+14155552671', '+14155552671'],
  ['+1 (415) 555-2671', '+14155552671'],
  ['+1.415.555.2671', '+14155552671'],
  ['  +1-415-555-2671  ', '+14155552671'],
  ['+16135550123', '+16135550123'], // Canada
  ['+447400123456', '+447400123456'], // UK mobile
];

for (const [input, e164] of accepted) {
  test(`accepts ${JSON.stringify(input)} as ${e164}`, (t) => {
    const result = checkPhoneNumber(input, policy);
    t.true(result.ok);
    if (result.ok) t.is(result.e164, e164);
  });
}

const refused: [input: string, code: Refusal['code'], reason: Refusal['reason'], why: string][] = [
  [
    '+15551234567',
    'INVALID_PHONE_NUMBER',
    'INVALID_NUMBER',
    'the seed example: area code 555 is not assigned',
  ],
  ['4155552671', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'national format, no country code'],
  ['14155552671', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'no leading +'],
  ['++14155552671', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'double plus'],
  ['+1415555267', 'INVALID_PHONE_NUMBER', 'INVALID_NUMBER', 'one digit short'],
  ['+141555526711', 'INVALID_PHONE_NUMBER', 'INVALID_NUMBER', 'one digit long'],
  [
    '+14155552671abc',
    'INVALID_PHONE_NUMBER',
    'NOT_INTERNATIONAL_FORMAT',
    'trailing letters libphonenumber would ignore',
  ],
  ['tel:+14155552671', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'a URI, not a number'],
  ['+14155552671\u0000', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'control character'],
  ['+１４１５５５５２６７１', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'full-width digits'],
  ['+1 415 555 2671 x3', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'extension'],
  ['+0', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'too short'],
  ['+', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'only a plus'],
  ['', 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'empty'],
  ['+1 ' + '5'.repeat(40), 'INVALID_PHONE_NUMBER', 'NOT_INTERNATIONAL_FORMAT', 'absurdly long'],
  ['+19005550100', 'INVALID_PHONE_NUMBER', 'NOT_SMS_CAPABLE', 'premium rate (SMS pumping target)'],
  ['+18005550100', 'INVALID_PHONE_NUMBER', 'NOT_SMS_CAPABLE', 'toll free'],
  ['+442071838750', 'INVALID_PHONE_NUMBER', 'NOT_SMS_CAPABLE', 'UK fixed line'],
  ['+447045123456', 'INVALID_PHONE_NUMBER', 'NOT_SMS_CAPABLE', 'UK personal number'],
  [
    '+4915123456789',
    'COUNTRY_NOT_ALLOWED',
    'COUNTRY_NOT_ALLOWED',
    'valid German mobile, Germany not allowed',
  ],
  ['+447911123456', 'COUNTRY_NOT_ALLOWED', 'COUNTRY_NOT_ALLOWED', 'Guernsey (+44 7911), not GB'],
  ['+80012345678', 'INVALID_PHONE_NUMBER', 'NOT_SMS_CAPABLE', 'international freephone'],
];

for (const [input, code, reason, why] of refused) {
  test(`refuses ${JSON.stringify(input)} (${why})`, (t) => {
    const result = checkPhoneNumber(input, policy);
    t.false(result.ok);
    if (!result.ok) {
      t.is(result.code, code);
      t.is(result.reason, reason);
      t.true(result.message.length > 0);
    }
  });
}

test("'*' allows every region, still refusing invalid and non-mobile numbers", (t) => {
  const all: PhonePolicy = { allowedCountries: '*' };
  t.true(checkPhoneNumber('+4915123456789', all).ok);
  t.true(checkPhoneNumber('+61412345678', all).ok);
  t.false(checkPhoneNumber('+15551234567', all).ok);
  t.false(checkPhoneNumber('+19005550100', all).ok);
});
