// The send ledger's promise: however often SQS (or a producer) hands us an invitation, one SMS.
// Counted where it matters: lines in the outbox file.
import { startRequestCounter, useIsolatedAws, waitFor } from '@platform/testkit';
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

test('duplicate messages for one invitation, at once and later, send one SMS', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, outboxDir } = await startSender(t, aws);
  const statuses = statusCollector(aws);
  const request = smsRequest();

  // Three copies side by side (a producer retrying), handled concurrently by the same process.
  await Promise.all([enqueue(aws, request), enqueue(aws, request), enqueue(aws, request)]);
  // The two that found the first one's lease live were deferred; each comes back, finds the
  // invitation sent and republishes the recorded status instead of sending.
  await waitFor(() => statuses.atLeast(request.invitationId, 3), {
    description: 'three sent statuses',
    timeoutMs: 40_000,
  });
  // A fourth copy long after.
  await enqueue(aws, request);
  const all = await waitFor(() => statuses.atLeast(request.invitationId, 4), {
    description: 'four sent statuses',
    timeoutMs: 20_000,
  });

  const outbox = await outboxMessages(outboxDir);
  t.is(outbox.length, 1);
  t.true(all.every((s) => s.status.status === 'sent' && s.status.providerMessageId === outbox[0]!.id));
  t.like(await ledgerItem(aws, request.invitationId), { status: 'COMPLETED', attempts: 1 });
  t.is(logged(service, 'sms attempt', request.invitationId).length, 1);
  await waitFor(() => emfCount(service, 'SmsDuplicateSuppressed') === 3, {
    description: 'SmsDuplicateSuppressed = 3',
  });
});

test('a redelivery after a lost delete (SQS offers the message again) sends no second SMS', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  // A proxy in front of SQS that can fail chosen calls: here every DeleteMessage, for a while.
  const sqsProxy = await startRequestCounter({ target: aws.env.AWS_ENDPOINT_URL_SQS! });
  t.teardown(() => sqsProxy.close());
  const lostDeletes = sqsProxy.addFault({
    match: { service: 'sqs', operation: 'DeleteMessage' },
    status: 500,
  });
  const { service, outboxDir } = await startSender(t, aws, {
    env: { AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint },
  });
  const statuses = statusCollector(aws);
  const request = smsRequest();

  await enqueue(aws, request);
  await service.waitForLog((line) => line.json?.msg === 'settling the message with SQS failed', 30_000);
  lostDeletes.remove();

  // SQS offers the message again after its visibility timeout; the ledger says COMPLETED.
  await service.waitForLog(
    (line) =>
      line.json?.msg === 'duplicate request: SMS already sent, not sending again' &&
      line.json.invitationId === request.invitationId,
    30_000,
  );
  const sent = await waitFor(() => statuses.atLeast(request.invitationId, 2), {
    description: 'the sent status published again',
  });
  t.true(lostDeletes.hits >= 1);
  t.is((await outboxMessages(outboxDir)).length, 1);
  t.deepEqual(
    sent.map((s) => s.status.status),
    ['sent', 'sent'],
  );
  t.like(await ledgerItem(aws, request.invitationId), { status: 'COMPLETED', attempts: 1 });
});
