/**
 * Graceful shutdown of the real process: SIGTERM stops accepting connections, lets the request in
 * flight finish, sends the post-response batch it left pending, stops the relay and the consumer,
 * and exits 0.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import { queueCounts, sharedAws, startRequestCounter, useIsolatedAws, waitFor } from '@platform/testkit';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { keys } from '../../src/store/keys.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';

test('SIGTERM drains the request in flight, sends its pending SMS request and exits 0', async (t) => {
  const aws = await useIsolatedAws(t);
  // DynamoDB behind a proxy that holds the invitation transaction for a moment: a request in flight.
  const dynamodb = await startRequestCounter({ target: (await sharedAws()).endpoints.dynamodb });
  t.teardown(() => dynamodb.close());
  dynamodb.addFault({ match: { service: 'dynamodb', operation: 'TransactWriteItems' }, delayMs: 1500 });
  const { service, baseUrl } = await startInviteApiProcess(t, aws, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    SHUTDOWN_TIMEOUT_MS: '10000',
    // The batch would wait 10 s for company: only the shutdown's drain sends it. The relay never
    // runs, so the SMS request on the queue is the request path's own send.
    OUTBOX_SEND_LINGER_MS: '10000',
    OUTBOX_RELAY_INTERVAL_MS: '600000',
  });

  const token = await mintToken({ sub: 'shutdown-user', name: 'Sam', ttlSeconds: 600, ...LOCAL_DEV_JWT });
  const inFlight = fetch(`${baseUrl}/api/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ phoneNumber: '+14155557001' }),
  });
  await waitFor(() => dynamodb.count({ operation: 'TransactWriteItems' }) > 0, {
    description: 'the invitation transaction to be in flight',
  });

  const exited = service.kill('SIGTERM');
  const response = await inFlight;
  t.is(response.status, 201, 'the request in flight completed');
  const created = (await response.json()) as { invitationId: string };
  t.like(created, { success: true, status: 'queued' });

  const exit = await exited;
  t.deepEqual(exit, { code: 0, signal: null });
  const messages = service.logs().map((line) => line.json?.msg);
  t.true(messages.includes('shutting down'));
  t.true(messages.includes('invite-api stopped'));
  await t.throwsAsync(fetch(`${baseUrl}/healthz`), undefined, 'no longer accepting connections');

  t.is((await queueCounts(aws.clients.sqs, aws.urls.smsRequests)).visible, 1, 'the SMS request was sent');
  const { Item } = await aws.clients.documentClient.send(
    new GetCommand({
      TableName: aws.tables.invitations,
      Key: keys.outbox(created.invitationId),
      ConsistentRead: true,
    }),
  );
  t.is(Item, undefined, 'and its outbox item removed: nothing left to the relay');
});
