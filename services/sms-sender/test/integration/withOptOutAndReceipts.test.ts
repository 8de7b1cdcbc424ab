// The provider guard against the real sms directory (DynamoDB Local): an opted-out number is never
// handed to the provider, a START lets it through again, and every accepted send is resolvable by
// its provider message id (what receipts look up).
import { useIsolatedAws } from '@platform/testkit';
import test from 'ava';
import { createSmsDirectory } from '../../src/directory/smsDirectory.ts';
import { SmsPermanentFailure, SmsTransientFailure } from '../../src/errors.ts';
import { withOptOutAndReceipts } from '../../src/optout/withOptOutAndReceipts.ts';
import type { SmsProvider, SmsSendRequest } from '../../src/providers/types.ts';
import { silentLogger } from '../helpers/receipts.ts';

function countingProvider(): SmsProvider & { calls: SmsSendRequest[] } {
  const calls: SmsSendRequest[] = [];
  return {
    name: 'local',
    calls,
    async send(request) {
      calls.push(request);
      return { providerMessageId: `local-${calls.length}` };
    },
  };
}

const request = (to: string, idempotencyKey: string): SmsSendRequest => ({
  to,
  body: 'hello',
  idempotencyKey,
  signal: AbortSignal.timeout(5000),
});

test('opted out: refused with OPTED_OUT (permanent, not sent) and the provider is never called', async (t) => {
  const aws = await useIsolatedAws(t);
  const directory = createSmsDirectory(
    { ddb: aws.clients.documentClient },
    { table: aws.env.SMS_DIRECTORY_TABLE! },
  );
  const inner = countingProvider();
  const provider = withOptOutAndReceipts(inner, { directory, logger: silentLogger });
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

  t.is(
    await directory.recordConsent({
      phoneNumber: '+14155552671',
      state: 'opted-out',
      changedAt: at(1),
      source: 'twilio',
    }),
    'applied',
  );
  const error = await t.throwsAsync(provider.send(request('+14155552671', 'inv-1')), {
    instanceOf: SmsPermanentFailure,
  });
  t.is(error?.code, 'OPTED_OUT');
  t.is(error?.outcome, 'not-sent');
  t.is(inner.calls.length, 0);

  // An older START (arrived late) does not undo the newer STOP; a newer one does.
  t.is(
    await directory.recordConsent({
      phoneNumber: '+14155552671',
      state: 'opted-in',
      changedAt: at(0),
      source: 'twilio',
    }),
    'stale',
  );
  await t.throwsAsync(provider.send(request('+14155552671', 'inv-2')));
  t.is(
    await directory.recordConsent({
      phoneNumber: '+14155552671',
      state: 'opted-in',
      changedAt: at(2),
      source: 'twilio',
    }),
    'applied',
  );
  // The same change again is applied again (so a retry after a failed publish publishes again).
  t.is(
    await directory.recordConsent({
      phoneNumber: '+14155552671',
      state: 'opted-in',
      changedAt: at(2),
      source: 'twilio',
    }),
    'applied',
  );

  const { providerMessageId } = await provider.send(request('+14155552671', 'inv-3'));
  t.is(inner.calls.length, 1);
  t.deepEqual(await directory.findMessage('local', providerMessageId), { invitationId: 'inv-3' });
  t.is(await directory.findMessage('twilio', providerMessageId), undefined, 'ids are per provider');
});

test('an unreadable suppression list is a transient failure, never a send', async (t) => {
  const aws = await useIsolatedAws(t);
  const directory = createSmsDirectory({ ddb: aws.clients.documentClient }, { table: 'no-such-table' });
  const inner = countingProvider();
  const provider = withOptOutAndReceipts(inner, { directory, logger: silentLogger });
  const error = await t.throwsAsync(provider.send(request('+14155552671', 'inv-4')), {
    instanceOf: SmsTransientFailure,
  });
  t.is(error?.outcome, 'not-sent');
  t.is(inner.calls.length, 0);
});
