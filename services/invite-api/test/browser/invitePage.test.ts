/**
 * The invitation product as people use it, in Debian's Chromium (playwright-core, never a downloaded
 * browser): the inviter's page, the SMS in sms-sender's local outbox, the friend's landing page in a
 * second browser context, and every error the page must explain. Both services run as real processes
 * against the embedded AWS. Screenshots of the main states go to tmp/screenshots/.
 */
import test from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, waitFor } from '@platform/testkit';
import {
  DELIVERY_REACHED,
  DELIVERY_TARGET,
  linkFromOutbox,
  invite,
  openPage,
  row,
  screenshot,
  signInAsDemo,
  startStack,
  statusOf,
  waitForStatus,
} from './helpers.ts';

let browser: Browser | undefined;
test.before(async () => {
  // No skip: a machine without Chromium fails here, loudly.
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

test.serial(
  'invite a friend, follow the status, the friend accepts from the SMS link, both see it',
  async (t) => {
    const stack = await startStack(t);
    const inviter = await openPage(t, browser!);
    const { page } = inviter;

    await page.goto(`${stack.baseUrl}/`);
    t.true(await page.getByRole('button', { name: 'Continue as Alice' }).isVisible());
    await screenshot(page, '01-sign-in');
    await signInAsDemo(page, stack.baseUrl);
    t.is(await page.locator('#session-name').innerText(), 'Alice');

    await invite(page, '+1 415 555 2671');
    const success = page.locator('#invite-success');
    await success.waitFor();
    const code = await page.locator('#success-code').innerText();
    t.regex(code, /^APP-[2-9A-HJ-NP-Z]{6}$/);
    const link = await page.locator('#success-link').inputValue();
    t.is(link, `${stack.baseUrl}/invite/${code}`, 'the referral link points at this server (local mode)');
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page
      .locator('#copy-status')
      .filter({ hasText: /copied|Ctrl\+C/ })
      .waitFor();

    // Live status without a reload: queued -> sent (-> delivered once receipts are simulated).
    const reached = await waitForStatus(page, code, DELIVERY_REACHED);
    t.log(`status reached ${reached} (target ${DELIVERY_TARGET})`);
    t.true(DELIVERY_REACHED.includes(await statusOf(page, code)));
    await screenshot(page, '02-invited');

    // The friend: another browser context (another person), opening the link from the SMS.
    const friend = await openPage(t, browser!, { width: 390, height: 844 });
    const smsLink = await linkFromOutbox(friend.page, stack.sender.outboxUrl, code);
    t.is(smsLink, link, 'the SMS carries the same link');
    const landing = await friend.page.goto(smsLink);
    t.is(landing?.status(), 200);
    t.is(await friend.page.locator('#inviter-name').innerText(), 'Alice');
    t.false(
      (await friend.page.locator('body').innerText()).includes('2671'),
      'no phone number on the landing page',
    );
    const ogImage = await friend.page.locator('meta[property="og:image"]').getAttribute('content');
    t.regex(ogImage ?? '', new RegExp(`^${stack.baseUrl}/static/share-card\\.png`));
    await waitFor(
      async () =>
        (await friend.page.evaluate('document.querySelector("img.share-card").naturalWidth')) === 1200
          ? true
          : undefined,
      { description: 'the share card to load' },
    );
    await screenshot(friend.page, '03-landing');

    await friend.page.getByLabel('Your first name').fill('Sam');
    await friend.page.getByRole('button', { name: 'Accept invitation' }).click();
    await friend.page.locator('#accept-success').waitFor();
    t.regex(await friend.page.locator('#accept-success-text').innerText(), /Alice's invitation.*50 points/);
    await screenshot(friend.page, '04-accepted');

    // The inviter's page moves to accepted and shows the reward, still without a reload.
    await waitForStatus(page, code, ['accepted']);
    await page.locator('#reward-balance').filter({ hasText: '100' }).waitFor();
    t.regex(await page.locator('#reward-summary').innerText(), /1 friend joined/);
    t.is(
      await row(page, code)
        .getByRole('button', { name: /Revoke/ })
        .count(),
      0,
      'no revoke after acceptance',
    );
    await screenshot(page, '05-inviter-sees-accepted');

    // Accepting again from the same browser is harmless (idempotent); the link stays valid for them.
    await friend.page.reload();
    t.true(await friend.page.locator('#accepted-note').isVisible());

    t.deepEqual(inviter.problems, [], 'no console errors or CSP violations on the invite page');
    t.deepEqual(friend.problems, [], 'no console errors or CSP violations on the landing page');
    const foreign = [...inviter.requested, ...friend.requested].filter(
      (url) => !url.startsWith(stack.baseUrl) && !url.startsWith(stack.sender.outboxUrl.replace(/\/$/, '')),
    );
    t.deepEqual(foreign, [], 'no third-party requests');
  },
);

test.serial('every error the invite form can meet is explained inline and announced', async (t) => {
  const stack = await startStack(t);
  const { page, problems } = await openPage(t, browser!);
  await signInAsDemo(page, stack.baseUrl);
  const error = page.locator('#phone-error');
  const phone = page.getByLabel("Friend's mobile number");
  t.is(await error.getAttribute('aria-live'), 'assertive');
  t.is(await error.getAttribute('role'), 'alert');

  const expectError = async (codes: string | string[], text: RegExp, shot?: string) => {
    const selector = (Array.isArray(codes) ? codes : [codes]).map(
      (code) => `.error-box[data-code="${code}"]`,
    );
    const box = error.locator(selector.join(', '));
    const code = selector.join(' or ');
    await box.waitFor();
    t.regex(await box.innerText(), text, code);
    t.is(await phone.getAttribute('aria-invalid'), 'true');
    if (shot !== undefined) await screenshot(page, shot);
  };

  // Invalid: the seed's +15551234567 (555 is no area code) and something that is no number at all.
  await invite(page, '+15551234567');
  await expectError('INVALID_PHONE_NUMBER', /valid phone number/, '06-error-invalid');
  await invite(page, '+44 20 7183 8750');
  await expectError('INVALID_PHONE_NUMBER', /can't receive texts/);

  // A valid mobile number outside ALLOWED_COUNTRIES (US, CA, GB): a German one.
  await invite(page, '+49 151 23456789');
  await expectError('COUNTRY_NOT_ALLOWED', /can't text that country/);

  // Someone else invited this number in the last 24 hours.
  t.is((await stack.inviteViaApi('another-inviter', '+14155552679')).status, 201);
  await invite(page, '+14155552679');
  await expectError('RATE_LIMITED_PHONE', /invited recently.*again after/s);

  // Already invited: the existing code is shown.
  await invite(page, '+14155552672');
  await page.locator('#invite-success').waitFor();
  const firstCode = await page.locator('#success-code').innerText();
  await invite(page, '+14155552672');
  await expectError(
    'DUPLICATE_INVITATION',
    new RegExp(`already invited.*${firstCode}`, 's'),
    '07-error-duplicate',
  );

  // Opted out: the local provider answers ...9991 as "recipient opted out"; the number is then suppressed.
  const optedOut = await stack.inviteViaApi('someone-else', '+14155559991');
  t.is(optedOut.status, 201);
  await waitFor(
    async () => ((await stack.inviteViaApi('probe-user', '+14155559991')).status === 422 ? true : undefined),
    { description: 'the number to be suppressed', timeoutMs: 60_000, intervalMs: 500 },
  );
  await invite(page, '+14155559991');
  await expectError(['PHONE_OPTED_OUT'], /opted out.*STOP/s, '08-error-opted-out');

  // Busy: a 503 injected at the browser's network layer (a fault proxy in front of the API).
  await page.route('**/api/invitations', (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '30' },
          body: JSON.stringify({
            success: false,
            error: { code: 'SERVICE_UNAVAILABLE', message: 'busy', details: { retryAfterSeconds: 30 } },
          }),
        })
      : route.fallback(),
  );
  await invite(page, '+14155552673');
  await expectError('SERVICE_UNAVAILABLE', /busy.*try again after/s, '09-error-busy');
  await page.unroute('**/api/invitations');

  // The daily limit: 9 more today (1 already sent above: 10 in all), then the 11th from the page.
  const results = await Promise.all(
    Array.from({ length: 9 }, (_, i) => stack.inviteViaApi('local-alice', `+1415555${3000 + i}`)),
  );
  t.deepEqual(
    results.map((r) => r.status),
    Array.from({ length: 9 }, () => 201),
  );
  await invite(page, '+14155553100');
  await expectError(
    'RATE_LIMITED_USER',
    /today's invitation limit.*10 invitations a day.*after \w{3} \d{1,2}:\d{2}\s?[AP]M/s,
    '10-error-daily-limit',
  );
  // The reset time is the next UTC midnight in the browser's own time zone (America/Los_Angeles).
  const nextUtcMidnight = new Date(Math.ceil(Date.now() / 86_400_000) * 86_400_000);
  const expected = new Intl.DateTimeFormat('en-US', {
    weekday: 'short',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: 'America/Los_Angeles',
  }).format(nextUtcMidnight);
  t.true((await error.innerText()).includes(expected), `reset time ${expected} in local time`);

  // Empty input is caught before any request.
  await phone.fill('');
  await page.getByRole('button', { name: 'Invite Friend' }).click();
  await expectError('', /Enter a phone number/);
  t.deepEqual(problems, []);
});

test.serial(
  'keyboard only at 360 px: invite, resend, revoke; revoked, expired and unknown links get their pages',
  async (t) => {
    const stack = await startStack(t);
    const { page, problems } = await openPage(t, browser!, { width: 360, height: 740 });
    await page.goto(`${stack.baseUrl}/`);

    // Keyboard only: the demo button has focus on load; Enter signs in and focus moves to the field.
    await page.keyboard.press('Enter');
    await page.getByLabel("Friend's mobile number").waitFor();
    await waitFor(
      async () => ((await page.evaluate('document.activeElement?.id')) === 'phone' ? true : undefined),
      {
        description: 'focus on the phone field',
      },
    );
    // A national number: DEFAULT_COUNTRY=US reads it as +1 415 555 2674.
    await page.keyboard.type('(415) 555-2674');
    await page.keyboard.press('Enter');
    await page.locator('#invite-success').waitFor();
    const code = await page.locator('#success-code').innerText();
    t.is(await page.locator('#success-link').inputValue(), `${stack.baseUrl}/invite/${code}`);
    await waitForStatus(page, code, DELIVERY_REACHED);
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    t.is(overflow, 0, 'nothing wider than 360 px');
    await screenshot(page, '11-mobile-360');

    // Visible focus: the focused control has an outline.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(
      'document.activeElement === null ? "none" : getComputedStyle(document.activeElement).outlineStyle',
    );
    t.not(outline, 'none', 'the focused element shows a focus ring');
    const outboxViewer = await openPage(t, browser!);
    const friendOutbox = outboxViewer.page;

    // Resend by keyboard (RESEND_COOLDOWN_SECONDS=0 in this stack): the SMS goes out again, same code.
    await row(page, code)
      .getByRole('button', { name: /Resend/ })
      .focus();
    await page.keyboard.press('Enter');
    await row(page, code).getByText('Sent again.').waitFor();
    await row(page, code)
      .getByText(/resent 1×/)
      .waitFor();
    await linkFromOutbox(friendOutbox, stack.sender.outboxUrl, code);
    await waitFor(
      async () => {
        const bodies = await friendOutbox.locator('body').innerText();
        return bodies.split(`/invite/${code}`).length - 1 >= 2 ? true : undefined;
      },
      { description: 'the resent SMS on the outbox page', timeoutMs: 60_000, intervalMs: 250 },
    );

    // Revoke by keyboard: tab to the row's Revoke button and press Enter.
    const revoke = row(page, code).getByRole('button', { name: /Revoke/ });
    await revoke.focus();
    await page.keyboard.press('Enter');
    await waitForStatus(page, code, ['revoked']);
    const friend = await openPage(t, browser!, { width: 360, height: 740 });
    const revoked = await friend.page.goto(`${stack.baseUrl}/invite/${code}`);
    t.is(revoked?.status(), 410);
    t.regex(await friend.page.locator('h1').innerText(), /withdrawn/);
    await screenshot(friend.page, '12-revoked-link');

    // Expired: an invitation whose expiry has passed.
    const created = await stack.inviteViaApi('local-alice', '+14155552675');
    t.is(created.status, 201);
    await stack.expire(String(created.body.invitationId));
    const expired = await friend.page.goto(`${stack.baseUrl}/invite/${String(created.body.inviteCode)}`);
    t.is(expired?.status(), 410);
    t.regex(await friend.page.locator('h1').innerText(), /expired/);
    await screenshot(friend.page, '13-expired-link');
    await waitForStatus(page, String(created.body.inviteCode), ['expired']);

    const unknown = await friend.page.goto(`${stack.baseUrl}/invite/APP-ZZZZZZ`);
    t.is(unknown?.status(), 404);
    t.regex(await friend.page.locator('h1').innerText(), /couldn't find/);
    await screenshot(friend.page, '14-unknown-link');
    t.deepEqual(problems, []);
    t.deepEqual(friend.problems, []);
  },
);
