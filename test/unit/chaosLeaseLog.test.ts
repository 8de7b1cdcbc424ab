import type { ObservedRequest } from '@platform/testkit';
import test from 'ava';
import { holdings, leaseWrites, sentWithoutLiveLease } from '../chaos/lib/leaseLog.ts';

const TABLE = 'image-jobs';

function update(client: string, at: number, body: object, status = 200): ObservedRequest {
  return {
    service: 'dynamodb',
    operation: 'UpdateItem',
    method: 'POST',
    path: '/',
    client,
    status,
    injected: false,
    at,
    answeredAt: at + 5,
    body: JSON.stringify({ TableName: TABLE, ...body }),
  };
}
const acquire = (client: string, at: number, expires: number, status = 200) =>
  update(
    client,
    at,
    {
      Key: { jobId: { S: 'j1' } },
      UpdateExpression:
        'SET #status = :processing, leaseOwner = :owner, leaseExpiresAt = :expires REMOVE #ttl',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'expiresAt' },
      ExpressionAttributeValues: { ':expires': { N: String(expires) } },
    },
    status,
  );
const complete = (client: string, at: number) =>
  update(client, at, {
    Key: { jobId: { S: 'j1' } },
    UpdateExpression: 'SET #status = :completed, completedAt = :now REMOVE leaseExpiresAt',
  });
const put = (client: string, at: number, attempt = 1): ObservedRequest => ({
  service: 's3',
  operation: 'PUT',
  method: 'PUT',
  path: '/bucket/jobs/j1.png',
  bucket: 'bucket',
  key: 'jobs/j1.png',
  client,
  injected: false,
  at,
  attempt,
});
const keyOf = () => 'j1';

test('lease writes: acquire and renew set an expiry, completion ends it, refused writes do not count', (t) => {
  const writes = leaseWrites(
    [
      acquire('w0', 100, 4100),
      acquire('w1', 150, 9000, 400),
      acquire('w0', 1100, 5100),
      complete('w0', 2000),
    ],
    TABLE,
  );
  t.deepEqual(
    writes.map((w) => [w.label, w.expiresAt]),
    [
      ['w0', 4100],
      ['w0', 5100],
      ['w0', undefined],
    ],
  );
  t.deepEqual(holdings(writes), [{ label: 'w0', key: 'j1', from: 105, until: 2000, endedBy: 'write' }]);
});

test('a PUT under a live lease passes; after expiry, after completion or by a non-holder it is flagged', (t) => {
  const writes = leaseWrites([acquire('w0', 100, 4100), acquire('w1', 5000, 9000)], TABLE);
  const flagged = sentWithoutLiveLease(
    [put('w0', 3000), put('w0', 6000), put('w1', 6000), put('w2', 6000), put('w1', 5002)],
    writes,
    keyOf,
  );
  t.deepEqual(
    flagged.map((p) => [p.label, p.at, p.lateByMs]),
    [
      ['w0', 6000, 1900],
      ['w2', 6000, Number.POSITIVE_INFINITY],
      // Sent before its acquire's answer came back: it cannot have known it held the lease.
      ['w1', 5002, Number.POSITIVE_INFINITY],
    ],
  );
  const afterComplete = sentWithoutLiveLease(
    [put('w0', 2500)],
    leaseWrites([acquire('w0', 100, 4100), complete('w0', 2000)], TABLE),
    keyOf,
  );
  t.is(afterComplete.length, 1);
});

test('a lease re-acquired after it lapsed starts a new holding', (t) => {
  const writes = leaseWrites([acquire('w0', 100, 1000), acquire('w0', 3000, 7000)], TABLE);
  t.deepEqual(
    holdings(writes).map((h) => [h.from, h.until]),
    [
      [105, 1000],
      [3005, 7000],
    ],
  );
});
