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

/** Refusals grouped by the code and reason the client sees; each row is [input, why]. */
const refused: { code: Refusal['code']; reason: Refusal['reason']; cases: [input: string, why: string][] }[] =
  [
    {
      code: 'INVALID_PHONE_NUMBER',
      reason: 'NOT_INTERNATIONAL_FORMAT',
      cases: [
        ['4155552671', 'national format, no country code'],
        ['14155552671', 'no leading +'],
        ['++14155552671', 'double plus'],
        ['+14155552671abc', 'trailing letters libphonenumber would ignore'],
        ['tel:+14155552671', 'a URI, not a number'],
        ['+14155552671\u0000', 'control character'],
        ['+１４１５５５５２６７１', 'full-width digits'],
        ['+1 415 555 2671 x3', 'extension'],
        ['+0', 'too short'],
        ['+', 'only a plus'],
        ['', 'empty'],
        ['+1 ' + '5'.repeat(40), 'absurdly long'],
      ],
    },
    {
      code: 'INVALID_PHONE_NUMBER',
      reason: 'INVALID_NUMBER',
      cases: [
        ['+15551234567', 'the seed example: area code 555 is not assigned'],
        ['+1415555267', 'one digit short'],
        ['+141555526711', 'one digit long'],
      ],
    },
    {
      code: 'INVALID_PHONE_NUMBER',
      reason: 'NOT_SMS_CAPABLE',
      cases: [
        ['+19005550100', 'premium rate (SMS pumping target)'],
        ['+18005550100', 'toll free'],
        ['+442071838750', 'UK fixed line'],
        ['+447045123456', 'UK personal number'],
        ['+80012345678', 'international freephone'],
      ],
    },
    {
      code: 'COUNTRY_NOT_ALLOWED',
      reason: 'COUNTRY_NOT_ALLOWED',
      cases: [
        ['+4915123456789', 'valid German mobile, Germany not allowed'],
        ['+447911123456', 'Guernsey (+44 7911), not GB'],
      ],
    },
  ];

for (const { code, reason, cases } of refused) {
  for (const [input, why] of cases) {
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
}

test("'*' allows every region, still refusing invalid and non-mobile numbers", (t) => {
  const all: PhonePolicy = { allowedCountries: '*' };
  t.true(checkPhoneNumber('+4915123456789', all).ok);
  t.true(checkPhoneNumber('+61412345678', all).ok);
  t.false(checkPhoneNumber('+15551234567', all).ok);
  t.false(checkPhoneNumber('+19005550100', all).ok);
});
