import test from 'ava';
import { decodeCursor, encodeCursor } from '../../src/service/cursor.ts';

const key = {
  gsi1pk: 'INVITER#user-1',
  gsi1sk: '2025-01-31T12:00:00.000Z#inv-1',
  pk: 'INVITATION#inv-1',
  sk: 'INVITATION',
};

test('a cursor round-trips for its owner', (t) => {
  t.deepEqual(decodeCursor(encodeCursor(key), 'user-1'), key);
});

test("another user's cursor, a forged or a malformed one is refused", (t) => {
  t.is(decodeCursor(encodeCursor(key), 'user-2'), undefined);
  t.is(decodeCursor(encodeCursor({ ...key, extra: 'x' }), 'user-1'), undefined);
  t.is(decodeCursor(encodeCursor({ gsi1pk: 'INVITER#user-1' }), 'user-1'), undefined);
  t.is(decodeCursor('not base64!', 'user-1'), undefined);
  t.is(decodeCursor(Buffer.from('[1,2]').toString('base64url'), 'user-1'), undefined);
  t.is(decodeCursor(Buffer.from('{').toString('base64url'), 'user-1'), undefined);
  t.is(decodeCursor('A'.repeat(5000), 'user-1'), undefined);
});
