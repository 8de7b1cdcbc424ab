import test from 'ava';
import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { encodeMessage, sqsRefusedCharacter } from '@platform/contracts';
import { FALLBACK_NAME, MAX_NAME_UNITS, isGsm7, safeDisplayName } from '../../src/domain/displayName.ts';
import { referralUrl, renderInvitationSms } from '../../src/domain/smsText.ts';

const graphemes = (text: string) =>
  Array.from(new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(text), (s) => s.segment);

const FAMILY = '👨\u200D👩\u200D👧\u200D👦';
const ENGLAND = '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';

/** Every hostile name of issue 9, and what must hold for each whatever it becomes. */
const HOSTILE: Array<[string, string]> = [
  ['many emoji', '😀🎉🚀🔥✨💯🙌👍😂🥳'.repeat(5)],
  ['ZWJ family', `${FAMILY} Smith`],
  ['noncharacters', 'Ada\uFFFE Love\uFFFFlace'],
  ['lone surrogates', 'Ada\uD83D Lovelace\uDE00'],
  ['bidi overrides', '\u202EecalevoL adA\u202C \u2066x\u2069 \u200F\u061C'],
  ['only zero-width spaces', '\u200B\u200B\u200B\u2060\uFEFF'],
  ['long GSM-7', 'Alexandra Catherine Montgomery-Smythe of Edinburgh and Leith'],
  ['long non-GSM', 'Zoë Æthelflæd Łukasiewicz-Ørsted Ünsal Çelik Đorđević'],
  ['control characters', 'Ada\u0000\u0007\u001B[31mLovelace\r\n\t\u0085x'],
  ['combining-mark pile', `Z${'\u0301\u0316\u0327'.repeat(30)}algo`],
];

for (const [title, raw] of HOSTILE) {
  test(`${title}: the name is non-empty, SQS-safe, NFC, bounded and stable`, (t) => {
    const name = safeDisplayName(raw);
    t.true(name.length > 0);
    t.is(sqsRefusedCharacter(name), undefined, 'nothing SQS refuses');
    t.is(name, name.normalize('NFC'));
    t.is(name, name.trim());
    t.false(
      /[\p{Cc}\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\u061C\uFEFF\u2060]/u.test(name),
      'no invisible controls',
    );
    t.true(name.length <= MAX_NAME_UNITS, `${name.length} UTF-16 units`);
    t.is(safeDisplayName(name), name, 'idempotent');
    // And it can travel: encodeMessage accepts it (the check that would otherwise strand the invitation).
    t.notThrows(() =>
      encodeMessage('sms.requested', {
        invitationId: 'inv-1',
        inviteCode: 'APP-8F3K92',
        phoneNumber: '+14155552671',
        inviterName: name,
        text: renderInvitationSms({
          inviterName: name,
          inviteCode: 'APP-8F3K92',
          referralUrl: 'https://app.example/invite/APP-8F3K92',
        }),
        requestedAt: '2025-01-31T12:00:00.000Z',
      }),
    );
  });
}

test('emoji survive intact: a ZWJ family stays one picture, flags and presentation selectors stay', (t) => {
  t.is(safeDisplayName(`${FAMILY} Smith`), `${FAMILY} Smith`);
  t.is(safeDisplayName(`${ENGLAND} fan`), `${ENGLAND} fan`);
  t.is(safeDisplayName('❤\uFE0F\u200D🔥 Jo'), '❤\uFE0F\u200D🔥 Jo');
  t.is(safeDisplayName('👍🏽 Sam'), '👍🏽 Sam');
  t.deepEqual(graphemes(safeDisplayName(FAMILY)), [FAMILY]);
});

test('many emoji are cut by whole grapheme cluster, 40 UTF-16 units (each emoji counts two)', (t) => {
  const name = safeDisplayName('😀'.repeat(50));
  t.is(name, '😀'.repeat(20));
  const families = safeDisplayName(FAMILY.repeat(10));
  t.deepEqual(graphemes(families), [FAMILY, FAMILY, FAMILY], 'never half a family');
});

test('noncharacters and lone surrogates are removed, the rest kept', (t) => {
  t.is(safeDisplayName('Ada\uFFFE\uFFFF'), 'Ada');
  t.is(safeDisplayName('Ada\uD83D Lovelace'), 'Ada Lovelace');
  t.is(safeDisplayName('\uDE00Ada'), 'Ada');
  t.is(safeDisplayName('Ada\u{10FFFF}\u{FDD0}'), 'Ada');
});

test('bidi controls and zero-width characters are removed; a name of only those falls back', (t) => {
  t.is(safeDisplayName('\u202EBob\u202C'), 'Bob');
  t.is(safeDisplayName('Bo\u200Bb\u2066\u2069'), 'Bob');
  t.is(safeDisplayName('\u200B\u200B\u200B'), FALLBACK_NAME);
  t.is(safeDisplayName('\u200D\u200C\uFE0F\u00AD\u3164'), FALLBACK_NAME);
  // A joiner that joins letters is kept (Persian ZWNJ), a stray one is not.
  t.is(safeDisplayName('می\u200Cخواهم'), 'می\u200Cخواهم');
  t.is(safeDisplayName('\u200DAda\u200D'), 'Ada');
});

test('NFC: decomposed input becomes composed', (t) => {
  t.is(safeDisplayName('Zoe\u0308'), 'Zoë');
  t.is(safeDisplayName('Zoe\u0308').length, 3);
  // An invisible character between a letter and its accent: removed, then composed.
  t.is(safeDisplayName('Zoe\u200B\u0308'), 'Zoë');
});

test('whitespace and control characters become single spaces', (t) => {
  t.is(safeDisplayName('  Ada\n\tLovelace\u0007  '), 'Ada Lovelace');
  t.is(safeDisplayName('Ada\u2028Lovelace'), 'Ada Lovelace');
  t.is(safeDisplayName('Ada\u3000\u00A0Lovelace'), 'Ada Lovelace');
});

test('absent, empty or non-string names fall back', (t) => {
  for (const raw of [undefined, null, 42, {}, '', '   ', '\u0000']) t.is(safeDisplayName(raw), FALLBACK_NAME);
  t.true(isGsm7(FALLBACK_NAME));
});

test('a long GSM-7 name is cut to 40 septets, stays GSM-7 (no "…"), and the SMS stays one segment', (t) => {
  const name = safeDisplayName('Alexandra Catherine Montgomery-Smythe of Edinburgh and Leith');
  t.is(name, 'Alexandra Catherine Montgomery-Smythe of');
  t.true(isGsm7(name));
  t.false(name.includes('…'));
  const sms = renderInvitationSms({
    inviterName: name,
    inviteCode: 'APP-8F3K92',
    referralUrl: referralUrl('https://app.example', 'APP-8F3K92'),
  });
  const segmented = new SegmentedMessage(sms);
  t.is(segmented.encodingName, 'GSM-7');
  t.is(segmented.segmentsCount, 1);
  // The longest referral base URL docs/invitations.md promises one segment for: 53 characters.
  const longest = renderInvitationSms({
    inviterName: safeDisplayName('x'.repeat(200)),
    inviteCode: 'APP-8F3K92',
    referralUrl: referralUrl(`https://${'a'.repeat(45)}`, 'APP-8F3K92'),
  });
  t.is(new SegmentedMessage(longest).segmentsCount, 1, `${longest.length} characters`);
});

test('GSM-7 extension characters count two septets', (t) => {
  const name = safeDisplayName('€'.repeat(30));
  t.is(name, '€'.repeat(20));
  t.true(isGsm7(name));
});

test('a long name with one emoji far beyond the cut stays GSM-7', (t) => {
  const name = safeDisplayName('Alexandra Catherine Montgomery-Smythe of Edinburgh 🎉');
  t.true(isGsm7(name));
  t.is(name, 'Alexandra Catherine Montgomery-Smythe of');
});

test('a long non-GSM name is cut to 40 UTF-16 units at a cluster boundary', (t) => {
  const raw = 'Zoë Æthelflæd Łukasiewicz-Ørsted Ünsal Çelik Đorđević';
  const name = safeDisplayName(raw);
  t.false(isGsm7(name));
  t.true(name.length <= MAX_NAME_UNITS);
  t.true(raw.startsWith(name));
  t.is(name, raw.slice(0, 40).trim());
});

test('a pile of combining marks on one character is dropped, the rest of the name kept', (t) => {
  t.is(safeDisplayName(`Z${'\u0301'.repeat(40)}algo`), 'algo');
});

test('a huge claim costs no more than a long name', (t) => {
  t.is(safeDisplayName('x'.repeat(100_000)), 'x'.repeat(40));
});

test('property: any string (full Unicode, lone surrogates, invisibles) gives a safe, bounded, stable name', (t) => {
  const hostileChar = fc.constantFrom(
    '\u200B',
    '\u200D',
    '\u200C',
    '\u202E',
    '\u2066',
    '\uFEFF',
    '\uFE0F',
    '\uFFFE',
    '\uFFFF',
    '\uD83D',
    '\uDE00',
    '\u0000',
    '\u001B',
    '\u0301',
    '\u{E0067}',
    '\u{E007F}',
    '🏴',
    '👨',
    '🏽',
    '€',
    ' ',
    '\n',
  );
  const name = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc
      .array(fc.oneof(hostileChar, fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 60 })
      .map((parts) => parts.join('')),
  );
  let runs = 0;
  fc.assert(
    fc.property(name, (raw) => {
      runs++;
      const safe = safeDisplayName(raw);
      return (
        safe.length > 0 &&
        safe.length <= MAX_NAME_UNITS &&
        sqsRefusedCharacter(safe) === undefined &&
        safe === safe.normalize('NFC') &&
        safe === safe.trim() &&
        !/[\p{Cc}\u200B\u202A-\u202E\u2066-\u2069\uFEFF]/u.test(safe) &&
        safeDisplayName(safe) === safe
      );
    }),
    { numRuns: 2000 },
  );
  t.is(runs, 2000);
});
