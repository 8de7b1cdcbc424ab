import test from 'ava';
import { toInternationalFormat } from '../../src/domain/nationalNumber.ts';
import { invitationIdOfSend, sendIdFor } from '../../src/domain/sendId.ts';

test('a resend has its own send id, mapped back to its invitation', (t) => {
  const id = 'inv-3f0c1a2b-0000-4000-8000-000000000001';
  t.is(sendIdFor(id, 0), id, 'the first SMS uses the invitation id');
  t.is(sendIdFor(id, 2), `${id}_resend2`);
  t.is(invitationIdOfSend(sendIdFor(id, 2)), id);
  t.is(invitationIdOfSend(id), id);
  t.is(invitationIdOfSend('inv-x_resend0'), 'inv-x_resend0', 'resend numbers start at 1');
  t.regex(sendIdFor(id, 10), /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, "fits the contracts' entityId");
});

test('national numbers are read in DEFAULT_COUNTRY; anything else is left for the checks to refuse', (t) => {
  t.is(toInternationalFormat('(415) 555-2671', 'US'), '+14155552671');
  t.is(toInternationalFormat('415.555.2671', 'US'), '+14155552671');
  t.is(toInternationalFormat('020 7946 0958', 'GB'), '+442079460958');
  t.is(toInternationalFormat('+44 20 7946 0958', 'US'), '+44 20 7946 0958', 'international input untouched');
  t.is(toInternationalFormat('(415) 555-2671', undefined), '(415) 555-2671', 'no default country');
  t.is(toInternationalFormat('tel:4155552671', 'US'), 'tel:4155552671', 'not what a person types');
  t.is(toInternationalFormat('415 555 2671 x3', 'US'), '415 555 2671 x3');
});
