// Process behaviour: probes, a graceful SIGTERM that finishes the send in flight, and a bad
// environment refused at start-up with the variable named.
import { runService, useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import {
  SMS_SENDER_ENTRY,
  TEST_QUEUES,
  enqueue,
  ledgerItem,
  logged,
  outboxMessages,
  smsRequest,
  startSender,
  statusCollector,
} from '../helpers/smsSender.ts';

test('healthz/readyz answer; SIGTERM finishes the send in flight, then exits 0', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, outboxDir, healthPort } = await startSender(t, aws, {
    env: { SMS_LOCAL_SLOW_MS: '1500' },
  });
  const probe = async (path: string) => (await fetch(`http://127.0.0.1:${healthPort}${path}`)).status;
  t.is(await probe('/healthz'), 200);
  t.is(await probe('/readyz'), 200);
  t.is(await probe('/nope'), 404);

  const request = smsRequest({ phoneNumber: '+14155559994' }); // a 1.5 s provider call
  await enqueue(aws, request);
  await waitFor(async () => (await ledgerItem(aws, request.invitationId))?.inFlight, {
    description: 'the send to be in flight',
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  const exit = await service.kill('SIGTERM');

  t.deepEqual(exit, { code: 0, signal: null });
  t.is((await outboxMessages(outboxDir)).length, 1);
  t.like(await ledgerItem(aws, request.invitationId), { status: 'COMPLETED' });
  const statuses = statusCollector(aws);
  t.truthy(await statuses.atLeast(request.invitationId, 1, 'sent'));
  t.is(logged(service, 'sms-sender stopped').length, 1);
});

test('an invalid environment exits 78 naming every bad variable', async (t) => {
  const service = runService(t, {
    name: 'sms-sender-bad-config',
    entry: SMS_SENDER_ENTRY,
    env: {
      OTEL_SERVICE_NAME: 'sms-sender',
      SMS_REQUESTS_QUEUE_URL: 'not a url',
      SMS_PROVIDER: 'carrier-pigeon',
      SMS_RATE_PER_SECOND: '-1',
    },
  });
  const exit = await service.exited;
  const stderr = service
    .logs()
    .filter((l) => l.stream === 'stderr')
    .map((l) => l.text)
    .join('\n');
  t.is(exit.code, 78);
  for (const name of [
    'SMS_REQUESTS_QUEUE_URL',
    'SMS_REQUESTS_DLQ_URL',
    'SMS_MESSAGES_TABLE',
    'SMS_PROVIDER',
    'SMS_RATE_PER_SECOND',
  ]) {
    t.regex(stderr, new RegExp(`${name}: `));
  }
});
