import test from 'ava';
import {
  INVITATION_STATUSES,
  canMoveTo,
  effectiveStatus,
  type InvitationStatus,
} from '../../src/domain/status.ts';

const FINAL: InvitationStatus[] = ['accepted', 'expired', 'revoked'];
const forward: [InvitationStatus, InvitationStatus][] = [
  ['queued', 'sent'],
  ['queued', 'delivered'],
  ['queued', 'failed'],
  ['sent', 'delivered'],
  ['sent', 'failed'],
  ...(['queued', 'sent', 'delivered', 'failed'] as const).flatMap((from) =>
    FINAL.map((to): [InvitationStatus, InvitationStatus] => [from, to]),
  ),
];

test('a status moves only forward, and accepted, expired and revoked are final', (t) => {
  for (const from of INVITATION_STATUSES) {
    for (const to of INVITATION_STATUSES) {
      const expected = forward.some(([a, b]) => a === from && b === to);
      t.is(canMoveTo(from, to), expected, `${from} -> ${to}`);
    }
  }
});

test('a pending invitation past its expiry is shown as expired; a final one keeps its status', (t) => {
  const expiresAt = '2030-01-01T00:00:00.000Z';
  const after = Date.parse(expiresAt) + 1;
  t.is(effectiveStatus({ status: 'sent', expiresAt }, after), 'expired');
  t.is(effectiveStatus({ status: 'sent', expiresAt }, after - 2), 'sent');
  t.is(effectiveStatus({ status: 'accepted', expiresAt }, after), 'accepted');
  t.is(effectiveStatus({ status: 'revoked', expiresAt }, after), 'revoked');
  t.is(effectiveStatus({ status: 'queued' }, after), 'queued', 'an item written before expiry existed');
});
