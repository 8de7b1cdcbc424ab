// A real sms-sender process against the embedded AWS (fauxqs SQS, DynamoDB Local), with the local
// outbox provider: what reaches the outbox file is what would have reached a phone.
import { useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import {
  TEST_QUEUES,
  emfCount,
  enqueue,
  ledgerItem,
  logged,
  outboxMessages,
  smsRequest,
  startSender,
  statusCollector,
} from '../helpers/smsSender.ts';

test('sends once, records the ledger, publishes sent in the same trace', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, outboxDir } = await startSender(t, aws);
  const statuses = statusCollector(aws);
  const request = smsRequest();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  await enqueue(aws, request, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });

  const [sent] = await waitFor(() => statuses.atLeast(request.invitationId, 1, 'sent'), {
    description: 'a sent status',
    timeoutMs: 15_000,
  });
  const outbox = await outboxMessages(outboxDir);
  t.is(outbox.length, 1);
  t.like(outbox[0], { to: request.phoneNumber, body: request.text, idempotencyKey: request.invitationId });
  t.like(sent!.status, {
    invitationId: request.invitationId,
    status: 'sent',
    provider: 'local',
    providerMessageId: outbox[0]!.id,
    attempt: 1,
  });
  // The status event continues the producer's trace: invite-api sees one trace end to end.
  t.regex(sent!.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

  const item = await ledgerItem(aws, request.invitationId);
  t.like(item, {
    status: 'COMPLETED',
    provider: 'local',
    providerMessageId: outbox[0]!.id,
    attempts: 1,
    recipient: '+1415***2671',
  });
  t.is(item?.inFlight, null);
  t.like((item?.attemptLog as unknown[])[0], { attempt: 1, outcome: 'accepted', provider: 'local' });
  t.is(typeof item?.ttl, 'number', 'finished records get a TTL for garbage collection');

  // Every attempt is logged with a masked number, never the number itself.
  const attempt = logged(service, 'sms attempt', request.invitationId);
  t.is(attempt.length, 1);
  t.like(attempt[0], { outcome: 'accepted', attempt: 1, provider: 'local', recipient: '+1415***2671' });
  t.is(typeof attempt[0]!.latencyMs, 'number');
  t.false(service.logs().some((line) => line.text.includes(request.phoneNumber)));
  await waitFor(() => emfCount(service, 'SmsSent') === 1, {
    description: 'SmsSent EMF metric',
  });
});

test('transient failures are retried with backoff, then sent exactly once', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, outboxDir } = await startSender(t, aws);
  const statuses = statusCollector(aws);
  // …9992: the local provider fails the first two attempts for an invitation (PROVIDER_UNAVAILABLE).
  const request = smsRequest({ phoneNumber: '+14155559992' });

  await enqueue(aws, request);

  const [sent] = await waitFor(() => statuses.atLeast(request.invitationId), {
    description: 'a status for the invitation',
    timeoutMs: 30_000,
  });
  t.like(sent!.status, { status: 'sent', attempt: 3 });
  t.is((await outboxMessages(outboxDir)).length, 1);
  const item = await ledgerItem(aws, request.invitationId);
  t.like(item, { status: 'COMPLETED', attempts: 3 });
  t.deepEqual(
    (item?.attemptLog as Array<{ outcome: string; code?: string }>).map((a) => [a.outcome, a.code]),
    [
      ['failed-transient', 'PROVIDER_UNAVAILABLE'],
      ['failed-transient', 'PROVIDER_UNAVAILABLE'],
      ['accepted', undefined],
    ],
  );
  t.is(emfCount(service, 'SmsRetried'), 2);
  t.is(statuses.of(request.invitationId).length, 1, 'no status for the transient failures');
});

test('permanent failures (invalid number, opted out) publish failed at once, without retry', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, outboxUrl } = await startSender(t, aws);
  const statuses = statusCollector(aws);
  const invalid = smsRequest({ phoneNumber: '+14155559990' });
  const optedOut = smsRequest({ phoneNumber: '+14155559991' });

  await enqueue(aws, invalid);
  await enqueue(aws, optedOut);

  await waitFor(async () => (await statuses.drain()).length >= 2, {
    description: 'two failed statuses',
    timeoutMs: 15_000,
  });
  t.like(statuses.of(invalid.invitationId)[0]?.status, {
    status: 'failed',
    provider: 'local',
    attempt: 1,
    error: { code: 'INVALID_PHONE_NUMBER' },
  });
  t.like(statuses.of(optedOut.invitationId)[0]?.status, { status: 'failed', error: { code: 'OPTED_OUT' } });
  for (const request of [invalid, optedOut]) {
    t.like(await ledgerItem(aws, request.invitationId), {
      status: 'FAILED',
      attempts: 1,
      lastError: { retryable: false },
    });
  }
  // One provider call each, ever: the outbox page lists every refusal.
  const page = (await (await fetch(new URL('messages.json', outboxUrl))).json()) as {
    messages: unknown[];
    rejections: unknown[];
  };
  t.is(page.messages.length, 0);
  t.is(page.rejections.length, 2);
  t.is(emfCount(service, 'SmsFailed'), 2);
  t.is(emfCount(service, 'SmsRetried'), 0);
});

test('transient failures that never stop end as failed ATTEMPTS_EXHAUSTED, not in the DLQ', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  await startSender(t, aws, { env: { SMS_MAX_ATTEMPTS: '2' } });
  const statuses = statusCollector(aws);
  // …9993: always throttled.
  const request = smsRequest({ phoneNumber: '+14155559993' });

  await enqueue(aws, request);

  const [failed] = await waitFor(() => statuses.atLeast(request.invitationId), {
    description: 'a final status',
    timeoutMs: 20_000,
  });
  t.like(failed!.status, { status: 'failed', attempt: 2, error: { code: 'ATTEMPTS_EXHAUSTED' } });
  t.regex(failed!.status.error?.message ?? '', /PROVIDER_THROTTLED/);
  t.like(await ledgerItem(aws, request.invitationId), { status: 'FAILED', attempts: 2 });
});
