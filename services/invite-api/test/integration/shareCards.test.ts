/**
 * Share cards never stand between an inviter and their 201 (issue 11 item 7): a submit that fails
 * or hangs is a warning and a metric, the landing page keeps the static card, and the card route
 * redirects to it. In-process service on the emulators; only the submit is replaced.
 */
import test from 'ava';
import { waitFor } from '@platform/testkit';
import { useHarness } from '../helpers/harness.ts';

const STATIC_CARD = /\/static\/share-card\.png\?v=/;

test('a failing image-job submit does not fail the 201: a warning, a metric, the static card', async (t) => {
  const attempts: string[] = [];
  const h = await useHarness(t, {
    shareCards: {
      submit: async (job) => {
        attempts.push(job.jobId);
        throw new Error('image-jobs queue unreachable');
      },
    },
  });
  const res = await h.request('/api/invitations', {
    method: 'POST',
    as: 'carol',
    json: { phoneNumber: '+14155550131' },
  });
  const body = (await res.json()) as { invitationId: string; inviteCode: string };
  t.is(res.status, 201, JSON.stringify(body));
  t.deepEqual(attempts, [`invite-card-${body.invitationId}`]);

  const totals = await waitFor(
    async () => {
      const all = await h.metricTotals();
      return (all.InvitationsShareCardFailed ?? 0) >= 1 ? all : undefined;
    },
    { description: 'the failed submit counted', timeoutMs: 10_000, intervalMs: 50 },
  );
  t.is(totals.InvitationsShareCardFailed, 1);
  const warning = h.logs.find(
    (line) => line.msg === 'share card not requested; the landing page shows the static card',
  );
  t.is(warning?.level, 'warn');
  t.is(warning?.invitationId, body.invitationId);
  // No phone number in the warning (only ids and the error).
  t.false(JSON.stringify(warning).includes('4155550131'));

  const page = await fetch(`${h.baseUrl}/invite/${body.inviteCode}`);
  t.is(page.status, 200);
  const ogImage = /<meta property="og:image" content="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  t.regex(ogImage, STATIC_CARD);

  const card = await fetch(`${h.baseUrl}/invite/${body.inviteCode}/card.png`, { redirect: 'manual' });
  t.is(card.status, 302);
  t.regex(card.headers.get('location') ?? '', STATIC_CARD);
  t.is(card.headers.get('cache-control'), 'no-store');
});

test('a hanging image-job submit does not delay the 201', async (t) => {
  let release: () => void = () => {};
  const hung = new Promise<void>((resolve) => (release = resolve));
  t.teardown(() => release());
  const h = await useHarness(t, { shareCards: { submit: () => hung } });
  const res = await h.request('/api/invitations', {
    method: 'POST',
    as: 'dave',
    json: { phoneNumber: '+14155550132' },
  });
  t.is(res.status, 201);
});
