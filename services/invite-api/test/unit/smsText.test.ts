import test from 'ava';
import { referralUrl, renderInvitationSms } from '../../src/domain/smsText.ts';

test('the SMS names the inviter and carries the code and the referral URL', (t) => {
  const text = renderInvitationSms({
    inviterName: 'Alice',
    inviteCode: 'APP-8F3K92',
    referralUrl: referralUrl('https://app.example/', 'APP-8F3K92'),
  });
  t.is(text, 'Alice invited you to join! Use code APP-8F3K92 or tap https://app.example/invite/APP-8F3K92');
  t.true(text.length <= 160, 'one GSM-7 segment for a short name');
});
