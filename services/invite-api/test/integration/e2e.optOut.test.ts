/**
 * End to end with both services as real processes, for the path the two sides had to agree on: the
 * provider reports an opt-out (sms.status failed, error.code OPTED_OUT), the invitation becomes
 * `failed`, and the number is suppressed for every inviter from then on.
 * (The happy path POST -> sent, in one trace, is services/sms-sender/test/process/e2e.test.ts.)
 */
import test from 'ava';
import { useIsolatedAws, waitFor } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { TEST_QUEUES, startSender } from '../../../sms-sender/test/helpers/smsSender.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';
import type { ApiBody } from '../helpers/openapi.ts';

// The local provider answers numbers ending in 9991 as "recipient opted out" (sms-sender docs).
const OPTED_OUT_NUMBER = '+14155559991';

test('an opted-out recipient: invitation failed, number suppressed for everyone', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const [, api] = await Promise.all([startSender(t, aws), startInviteApiProcess(t, aws)]);
  const tokenFor = (sub: string) => mintToken({ sub, name: sub, ttlSeconds: 600, ...LOCAL_DEV_JWT });
  const invite = async (sub: string) =>
    fetch(`${api.baseUrl}/api/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(sub)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: OPTED_OUT_NUMBER }),
    });

  const created = await invite('first-inviter');
  const { invitationId } = (await created.json()) as ApiBody;
  t.is(created.status, 201);

  const token = await tokenFor('first-inviter');
  const failed = await waitFor(
    async () => {
      const res = await fetch(`${api.baseUrl}/api/invitations/${String(invitationId)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { invitation } = (await res.json()) as {
        invitation: { status: string; failure?: { code: string } };
      };
      return invitation.status === 'failed' ? invitation : undefined;
    },
    { description: 'the invitation to become failed', timeoutMs: 60_000, intervalMs: 250 },
  );
  t.is(failed.failure?.code, 'OPTED_OUT');

  const again = await invite('second-inviter');
  t.is(again.status, 422);
  t.is(((await again.json()) as ApiBody).error?.code, 'PHONE_OPTED_OUT');
  t.true(
    api.service
      .logs()
      .some(
        (line) =>
          line.json?.msg === 'number suppressed (opted out)' && line.json.invitationId === invitationId,
      ),
  );
});
