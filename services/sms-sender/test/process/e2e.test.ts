// End to end with both real services: POST /api/invitations (invite-api) -> sms.requested on SQS ->
// sms-sender -> local outbox -> sms.status on SQS -> invite-api marks the invitation `sent`, and the
// whole way is ONE trace: the trace id the HTTP client sent is on the log lines of every hop.
import { randomBytes } from 'node:crypto';
import { runService, useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import { LOCAL_DEV_JWT, mintToken } from '../../../invite-api/src/auth/mintToken.ts';
import { TEST_QUEUES, ledgerItem, logged, outboxMessages, startSender } from '../helpers/smsSender.ts';

test('POST an invitation -> one SMS in the outbox -> invitation sent, all in one trace', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const [sender, api] = await Promise.all([
    startSender(t, aws),
    (async () => {
      const service = runService(t, {
        name: 'invite-api',
        entry: 'services/invite-api/src/main.ts',
        env: {
          ...aws.env,
          OTEL_SERVICE_NAME: 'invite-api',
          PORT: '0',
          JWT_SECRET: LOCAL_DEV_JWT.secret,
          LOG_LEVEL: 'info',
          METRICS_SINK: 'none',
          INVITE_EVENTS_WAIT_SECONDS: '1',
          REFERRAL_BASE_URL: 'https://app.example',
        },
      });
      const listening = await service.waitForLog((line) => line.json?.msg === 'invite-api listening', 60_000);
      return { service, baseUrl: `http://127.0.0.1:${Number(listening.json?.port)}` };
    })(),
  ]);
  const token = await mintToken({
    sub: 'user-e2e',
    name: 'Ada Lovelace',
    secret: LOCAL_DEV_JWT.secret,
    issuer: LOCAL_DEV_JWT.issuer,
    audience: LOCAL_DEV_JWT.audience,
    ttlSeconds: 600,
  });
  const traceId = randomBytes(16).toString('hex');

  const created = await fetch(`${api.baseUrl}/api/invitations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    },
    body: JSON.stringify({ phoneNumber: '+14155552671' }),
  });
  const body = (await created.json()) as { invitationId: string; inviteCode: string; referralUrl: string };
  t.is(created.status, 201, JSON.stringify(body));

  const invitation = await waitFor(
    async () => {
      const response = await fetch(`${api.baseUrl}/api/invitations/${body.invitationId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { invitation: view } = (await response.json()) as {
        invitation: { status: string; sentAt?: string };
      };
      return view.status === 'sent' ? view : undefined;
    },
    { description: 'the invitation to become sent', timeoutMs: 60_000, intervalMs: 250 },
  );
  t.truthy(invitation.sentAt);

  // Exactly one SMS, to the invited number, with the code and the referral link.
  const outbox = await outboxMessages(sender.outboxDir);
  t.is(outbox.length, 1);
  t.is(outbox[0]!.to, '+14155552671');
  t.is(outbox[0]!.idempotencyKey, body.invitationId);
  t.true(outbox[0]!.body.includes(body.inviteCode));
  t.true(outbox[0]!.body.includes(body.referralUrl));
  t.like(await ledgerItem(aws, body.invitationId), { status: 'COMPLETED', providerMessageId: outbox[0]!.id });

  // One trace across the HTTP request, the sms-sender's send and invite-api applying the status.
  const attempts = logged(sender.service, 'sms attempt', body.invitationId);
  t.is(attempts.length, 1);
  t.is(attempts[0]!.trace_id, traceId);
  const applied = logged(api.service, 'invitation status updated', body.invitationId);
  t.true(applied.length >= 1, 'invite-api logged the status change');
  t.true(applied.every((line) => line.trace_id === traceId));
});
