// The outbox page as a person sees it: a real headless Chromium (Debian's package) via playwright-core.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium } from '@platform/testkit';
import { createLocalOutbox } from '../../src/providers/local/outbox.ts';
import { createOutboxServer } from '../../src/providers/local/outboxPage.ts';

let browser: Browser | undefined;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
});

async function startOutbox(t: ExecutionContext) {
  const dir = await mkdtemp(join(tmpdir(), 'sms-outbox-page-'));
  const outbox = createLocalOutbox({}, { dir });
  await outbox.open();
  const server = createOutboxServer({ outbox }, { port: 0 });
  const url = await server.listen();
  t.teardown(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const send = (to: string, body: string, key: string) =>
    outbox.send({ to, body, idempotencyKey: key, signal: new AbortController().signal });
  return { url, send };
}

test('lists accepted messages and refusals, shows SMS text as text, and refreshes itself', async (t) => {
  const { url, send } = await startOutbox(t);
  await send(
    '+14155552671',
    'Ada invited you. Use code APP-8F3K92: https://app.example/invite/APP-8F3K92',
    'inv-1',
  );
  // Untrusted text: must render literally, never as markup or script.
  await send('+14155552672', '<script>window.pwned = true</script><b>bold?</b>', 'inv-2');
  await send('+14155559991', 'never delivered', 'inv-3').catch(() => undefined); // injected OPTED_OUT

  const page = await browser!.newPage();
  t.teardown(() => page.close());
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);

  t.is(await page.title(), 'SMS outbox (local provider)');
  const rows = page.locator('#messages tbody tr');
  t.is(await rows.count(), 2);
  // Newest first.
  const newest = await rows.nth(0).locator('td').allTextContents();
  t.regex(newest[0] ?? '', /^\d{4}-\d{2}-\d{2}T/);
  t.deepEqual(newest.slice(1, 4), [
    '+14155552672',
    '<script>window.pwned = true</script><b>bold?</b>',
    'inv-2',
  ]);
  t.regex((await rows.nth(1).locator('td.body').textContent()) ?? '', /Use code APP-8F3K92/);
  t.is(await page.locator('#messages b').count(), 0);
  t.false(await page.evaluate(() => (globalThis as { pwned?: boolean }).pwned === true));
  t.deepEqual(
    await page
      .locator('#rejections tbody tr td')
      .allTextContents()
      .then((c) => c.slice(1, 4)),
    ['+14155559991', 'OPTED_OUT', 'permanent'],
  );

  // A message sent while the page is open appears without a reload.
  await send('+14155552673', 'sent while you watched', 'inv-4');
  await page
    .locator('#messages tbody tr', { hasText: 'sent while you watched' })
    .waitFor({ timeout: 10_000 });
  t.is(await rows.count(), 3);
  t.is(await page.locator('#count').textContent(), '3');
  t.deepEqual(dialogs, []);
});

test('messages.json serves the same view as JSON; other paths are 404', async (t) => {
  const { url, send } = await startOutbox(t);
  await send('+14155552671', 'hello', 'inv-1');

  const response = await fetch(new URL('messages.json', url));
  t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
  const body = (await response.json()) as { messages: Array<Record<string, unknown>>; rejections: unknown[] };
  t.like(body.messages[0], { to: '+14155552671', body: 'hello', idempotencyKey: 'inv-1' });
  t.deepEqual(body.rejections, []);
  t.is((await fetch(new URL('nope', url))).status, 404);
  t.is((await fetch(url, { method: 'POST' })).status, 405);
});
