import test from 'ava';
import { validatePayload } from '@platform/contracts';
import { shareCardJob, shareCardJobId } from '../../src/domain/shareCard.ts';

test('the card job id is derived from the invitation id alone', (t) => {
  t.is(
    shareCardJobId('inv-0b6f0a38-1c1e-4a6e-9d43-6a0d2f1f5a10'),
    'invite-card-inv-0b6f0a38-1c1e-4a6e-9d43-6a0d2f1f5a10',
  );
  t.is(shareCardJobId('inv-1'), shareCardJobId('inv-1'));
  // An id whose derived job id would break the contract gets no card rather than a bad message.
  t.is(shareCardJobId('x'.repeat(120)), undefined);
});

test('the card job is a valid image.job.requested with only the display name personal, and stable params', (t) => {
  const invitation = { invitationId: 'inv-1', inviterName: 'Zoë 😀' };
  const jobId = shareCardJobId(invitation.invitationId) ?? '';
  const first = shareCardJob(invitation, jobId, '2026-12-01T10:00:00.000Z');
  const retry = shareCardJob(invitation, jobId, '2026-12-01T10:05:00.000Z');
  t.true(validatePayload('image.job.requested', first).valid);
  t.is(first.template, 'card');
  t.deepEqual([first.width, first.height, first.format], [1200, 630, 'png']);
  t.is(first.params.title, 'Zoë 😀 invited you');
  t.deepEqual(first.params, retry.params);
});
