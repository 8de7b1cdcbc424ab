import test from 'ava';
import { INVITATION_STATUSES, canMoveTo, type InvitationStatus } from '../../src/domain/status.ts';

const forward: [InvitationStatus, InvitationStatus][] = [
  ['queued', 'sent'],
  ['queued', 'delivered'],
  ['queued', 'failed'],
  ['sent', 'delivered'],
  ['sent', 'failed'],
  ['sent', 'accepted'],
  ['delivered', 'accepted'],
  ['failed', 'accepted'],
  ['queued', 'accepted'],
];

test('a status moves only forward', (t) => {
  for (const from of INVITATION_STATUSES) {
    for (const to of INVITATION_STATUSES) {
      const expected = forward.some(([a, b]) => a === from && b === to);
      t.is(canMoveTo(from, to), expected, `${from} -> ${to}`);
    }
  }
});
