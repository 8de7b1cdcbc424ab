// The one window the ledger cannot close: a process dies INSIDE the provider call. SIGKILL a real
// sender while a slow send (…9994, SMS_LOCAL_SLOW_MS) is in flight; a second sender takes over the
// expired lease, finds the in-flight mark and applies SMS_UNKNOWN_OUTCOME_POLICY.
import { useIsolatedAws, waitFor } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import {
  TEST_QUEUES,
  enqueue,
  ledgerItem,
  outboxMessages,
  smsRequest,
  startSender,
  statusCollector,
  tempOutboxDir,
} from '../helpers/smsSender.ts';

async function killInsideProviderCall(t: ExecutionContext, policy: 'resend' | 'give-up') {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const outboxDir = await tempOutboxDir(t);
  const env = { SMS_UNKNOWN_OUTCOME_POLICY: policy, SMS_LOCAL_SLOW_MS: '3000' };
  const first = await startSender(t, aws, { name: 'sms-sender#1', outboxDir, env });
  const request = smsRequest({ phoneNumber: '+14155559994' });

  await enqueue(aws, request);
  // The in-flight mark is written right before the provider call: kill once it is there.
  await waitFor(async () => (await ledgerItem(aws, request.invitationId))?.inFlight, {
    description: 'the in-flight mark',
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  const exit = await first.service.kill('SIGKILL');
  t.is(exit.signal, 'SIGKILL');

  const second = await startSender(t, aws, { name: 'sms-sender#2', outboxDir, env });
  const statuses = statusCollector(aws);
  const [status] = await waitFor(() => statuses.atLeast(request.invitationId), {
    description: 'a final status after the takeover',
    timeoutMs: 60_000,
  });
  await second.service.waitForLog(
    (line) =>
      line.json?.msg === 'previous attempt ended inside the provider call; outcome unknown' &&
      line.json.invitationId === request.invitationId,
  );
  return { aws, request, status: status!.status, outboxDir };
}

test('policy resend: the takeover sends again (at-least-once) and records the unknown attempt', async (t) => {
  const { aws, request, status, outboxDir } = await killInsideProviderCall(t, 'resend');

  t.like(status, { status: 'sent', attempt: 2 });
  // The killed call never reached the outbox (it died mid-call), so exactly one SMS exists.
  t.is((await outboxMessages(outboxDir)).length, 1);
  const item = await ledgerItem(aws, request.invitationId);
  t.like(item, { status: 'COMPLETED', attempts: 2, inFlight: null });
  t.deepEqual(
    (item?.attemptLog as Array<{ attempt: number; outcome: string }>).map((a) => [a.attempt, a.outcome]),
    [
      [1, 'unknown'],
      [2, 'accepted'],
    ],
  );
});

test('policy give-up: the takeover never calls the provider again and reports SEND_OUTCOME_UNKNOWN', async (t) => {
  const { aws, request, status, outboxDir } = await killInsideProviderCall(t, 'give-up');

  t.like(status, { status: 'failed', error: { code: 'SEND_OUTCOME_UNKNOWN' } });
  t.is((await outboxMessages(outboxDir)).length, 0);
  const item = await ledgerItem(aws, request.invitationId);
  t.like(item, { status: 'FAILED', finalFailure: { code: 'SEND_OUTCOME_UNKNOWN' } });
  t.deepEqual(
    (item?.attemptLog as Array<{ outcome: string }>).map((a) => a.outcome),
    ['unknown'],
  );
});
