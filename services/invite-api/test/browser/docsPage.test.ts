/**
 * The /docs page in a real headless Chromium: it renders every operation and schema of the OpenAPI
 * document and loads nothing from anywhere (no script, no CDN, no font).
 */
import test from 'ava';
import { launchChromium } from '@platform/testkit';
import { openApiDocument, schemas } from '../../src/openapi/document.ts';
import { useHarness } from '../helpers/harness.ts';

test('/docs renders the whole API in Chromium without loading anything else', async (t) => {
  const h = await useHarness(t);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const requested: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  const response = await page.goto(`${h.baseUrl}/docs`, { waitUntil: 'load' });
  t.is(response?.status(), 200);
  t.is(await page.title(), 'invite-api 1.0.0 - API documentation');
  t.is(await page.locator('h1').innerText(), 'invite-api v1.0.0');

  const operations = Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
  const headings = await page.locator('section.op h3').allInnerTexts();
  t.deepEqual(
    headings.map((text) => text.replace(/\s+/g, ' ').trim()),
    operations,
    'one section per operation, in document order',
  );
  for (const name of Object.keys(schemas)) {
    t.true(await page.locator(`#schema-${name}`).isVisible(), `schema ${name}`);
  }
  // Links between operations and schemas resolve inside the page.
  await page.locator('a[href="#schema-InvitationCreated"]').first().click();
  t.true(await page.locator('#schema-InvitationCreated').isVisible());
  const text = await page.locator('body').innerText();
  t.true(text.includes('+15551234567'), 'the page explains why the seed example is refused');
  t.true(text.includes('RATE_LIMITED_USER'));

  t.deepEqual(
    requested.filter((url) => !url.startsWith(h.baseUrl)),
    [],
    'nothing outside the service was requested',
  );
  t.deepEqual(requested, [`${h.baseUrl}/docs`], 'the page is one self-contained document');
  t.deepEqual(problems, [], 'no console errors or CSP violations');
});
