/**
 * Production sign-in (AUTH_MODE=jwt): no local sign-in is offered; the host app hands its identity
 * provider token over in the URL fragment, which the page keeps and removes from the address bar.
 */
import test from 'ava';
import { launchChromium } from '@platform/testkit';
import { useHarness } from '../helpers/harness.ts';
import { invite, openPage } from './helpers.ts';

test('the invite page takes the host app’s token from #access_token and never shows local sign-in', async (t) => {
  const h = await useHarness(t);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page, problems } = await openPage(t, browser);

  await page.goto(`${h.baseUrl}/`);
  t.true(await page.getByRole('heading', { name: 'Invite your friends' }).isVisible());
  t.is(await page.getByRole('button', { name: /Continue as/ }).count(), 0, 'no local sign-in in production');
  const dev = await page.request.post(`${h.baseUrl}/api/dev/session`, { data: { user: 'demo' } });
  t.is(dev.status(), 404);

  const token = await h.token('host-user', { name: 'Grace' });
  await page.goto(`${h.baseUrl}/#access_token=${token}`);
  await page.getByLabel("Friend's mobile number").waitFor();
  t.is(await page.locator('#session-name').innerText(), 'Grace');
  t.false(page.url().includes('access_token'), 'the token left the address bar');
  await invite(page, '+14155552678');
  await page.locator('#invite-success').waitFor();
  t.regex(await page.locator('#success-code').innerText(), /^APP-/);

  // A reload keeps the session; signing out forgets it.
  await page.reload();
  await page.getByLabel("Friend's mobile number").waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  t.true(await page.getByRole('heading', { name: 'Invite your friends' }).isVisible());
  t.deepEqual(problems, []);
});
