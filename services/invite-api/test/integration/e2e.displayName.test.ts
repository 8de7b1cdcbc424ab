/**
 * End to end with both services as real processes, for the names that used to strand invitations
 * (issue 9): POST with a token whose `name` has emoji, a ZWJ family and a flag -> invite-api ->
 * sms.requested on the emulator's SQS (which refuses characters above U+FFFF in a raw body) ->
 * sms-sender -> the local outbox. The emoji arrive intact; a name with noncharacters, a lone
 * surrogate, bidi overrides and zero-width spaces arrives cleaned; both invitations become `sent`.
 */
import test from 'ava';
import { useIsolatedAws, waitFor } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { outboxMessages, startSender, TEST_QUEUES } from '../../../sms-sender/test/helpers/smsSender.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';
import type { ApiBody } from '../helpers/openapi.ts';

const FAMILY = '👨\u200D👩\u200D👧\u200D👦';
const ENGLAND = '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';

test('an emoji name reaches the SMS intact; a hostile one arrives cleaned; neither strands its invitation', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const [sender, api] = await Promise.all([startSender(t, aws), startInviteApiProcess(t, aws)]);

  const invite = async (sub: string, name: string, phoneNumber: string) => {
    const token = await mintToken({ sub, name, ttlSeconds: 600, ...LOCAL_DEV_JWT });
    const res = await fetch(`${api.baseUrl}/api/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber }),
    });
    const body = (await res.json()) as ApiBody;
    t.is(res.status, 201, JSON.stringify(body));
    return { token, invitationId: String(body.invitationId) };
  };

  const emojiName = `Zoë 😀🎉 ${FAMILY} ${ENGLAND}`;
  const emoji = await invite('emoji-user', emojiName, '+14155550121');
  const hostile = await invite(
    'hostile-user',
    '\u202EAda\uFFFE\u200B Love\uD83Dlace\uFFFF\u2066',
    '+14155550122',
  );

  const messages = await waitFor(
    async () => {
      const all = await outboxMessages(sender.outboxDir);
      return all.length >= 2 ? all : undefined;
    },
    { description: 'both SMS in the local outbox', timeoutMs: 60_000, intervalMs: 250 },
  );
  const textTo = (number: string) => messages.find((m) => m.to === number)?.body ?? '';
  t.true(textTo('+14155550121').startsWith(`${emojiName} invited you to join!`), textTo('+14155550121'));
  t.true(textTo('+14155550122').startsWith('Ada Lovelace invited you to join!'), textTo('+14155550122'));

  for (const { token, invitationId } of [emoji, hostile]) {
    const view = await waitFor(
      async () => {
        const res = await fetch(`${api.baseUrl}/api/invitations/${invitationId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const { invitation } = (await res.json()) as { invitation: { status: string } };
        return invitation.status === 'sent' ? invitation : undefined;
      },
      { description: `invitation ${invitationId} sent`, timeoutMs: 60_000, intervalMs: 250 },
    );
    t.is(view.status, 'sent');
  }
  // Nothing was refused on the way: no failed send, no outbox retries.
  t.false(
    api.service.logs().some((line) => /not sent|refused/.test(String(line.json?.msg))),
    'every sms.requested went to SQS on the first try',
  );
});
