import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { freePort, useIsolatedAws, waitFor, type IsolatedAws } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { keys } from '../../src/store/keys.ts';
import { TEST_QUEUES, startSender, type StartedSender } from '../../../sms-sender/test/helpers/smsSender.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';

export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../../../tmp/screenshots');

const DELIVERY_ORDER = ['queued', 'sent', 'delivered'] as const;
/**
 * How far the tests expect an SMS to get: sms-sender's local provider simulates a delivery receipt
 * (SMS_LOCAL_RECEIPT_DELAY_MS), so every browser test waits for `delivered`.
 */
export const DELIVERY_TARGET: (typeof DELIVERY_ORDER)[number] = 'delivered';
/** The statuses that count as "reached the target" (a fast receipt may already have moved it on). */
export const DELIVERY_REACHED: readonly string[] = DELIVERY_ORDER.slice(
  DELIVERY_ORDER.indexOf(DELIVERY_TARGET),
);

export interface Stack {
  aws: IsolatedAws;
  sender: StartedSender;
  baseUrl: string;
  /** A Bearer token for `sub` (as the API's own local secret signs it). */
  token(sub: string, name?: string): Promise<string>;
  /** Invites through the API (for set-up: quickly reaching a limit, preparing an expired code). */
  inviteViaApi(sub: string, phoneNumber: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Moves an invitation's expiry into the past, as if INVITE_TTL_DAYS had gone by. */
  expire(invitationId: string): Promise<void>;
}

/**
 * The real services for a browser test: sms-sender with its local outbox and invite-api (main.ts) in
 * local mode, on a port chosen first so the referral links in the SMS point at it.
 */
export async function startStack(t: ExecutionContext, env: Record<string, string> = {}): Promise<Stack> {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const [sender] = await Promise.all([
    startSender(t, aws, { env: { SMS_LOCAL_RECEIPT_DELAY_MS: '500' } }),
    startInviteApiProcess(t, aws, {
      PORT: String(port),
      AUTH_MODE: 'local',
      REFERRAL_BASE_URL: baseUrl,
      DEFAULT_COUNTRY: 'US',
      WELCOME_REWARD_POINTS: '50',
      REFERRAL_REWARD_POINTS: '100',
      RESEND_COOLDOWN_SECONDS: '0',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      ...env,
    }),
  ]);
  const token = (sub: string, name = sub) => mintToken({ sub, name, ttlSeconds: 600, ...LOCAL_DEV_JWT });
  return {
    aws,
    sender,
    baseUrl,
    token,
    async inviteViaApi(sub, phoneNumber) {
      const response = await fetch(`${baseUrl}/api/invitations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await token(sub)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ phoneNumber }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async expire(invitationId) {
      await aws.clients.documentClient.send(
        new UpdateCommand({
          TableName: aws.tables.invitations,
          Key: keys.invitation(invitationId),
          UpdateExpression: 'SET expires_at = :past',
          ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
        }),
      );
    },
  };
}

/** A fresh browser context (its own storage: another person) with a page that records problems. */
export async function openPage(
  t: ExecutionContext,
  browser: Browser,
  options: { width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[]; requested: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1024, height: options.height ?? 900 },
    locale: 'en-US',
    timezoneId: 'America/Los_Angeles',
  });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('console', (message) => {
    // A 4xx the page asked for and handled (an API error it shows) is logged by Chromium as an error.
    if (message.type() === 'error' && !/status of 4\d\d|status of 503/.test(message.text()))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => requested.push(request.url()));
  return { context, page, problems, requested };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs in on the invite page as the demo user. */
export async function signInAsDemo(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: /Continue as/ }).click();
  await page.getByLabel("Friend's mobile number").waitFor();
}

export async function invite(page: Page, phoneNumber: string): Promise<void> {
  await page.getByLabel("Friend's mobile number").fill(phoneNumber);
  await page.getByRole('button', { name: 'Invite Friend' }).click();
}

/** The row of one invitation in "My invitations", by its code. */
export function row(page: Page, inviteCode: string): Locator {
  return page.locator('#invitation-list li').filter({ hasText: inviteCode });
}

export async function statusOf(page: Page, inviteCode: string): Promise<string> {
  return (await row(page, inviteCode).locator('[data-testid="status"]').innerText()).toLowerCase();
}

/** Polls the page (which polls the API) until the invitation shows one of `statuses`. */
export async function waitForStatus(
  page: Page,
  inviteCode: string,
  statuses: readonly string[],
  timeoutMs = 60_000,
): Promise<string> {
  return waitFor(
    async () => {
      const status = await statusOf(page, inviteCode).catch(() => '');
      return statuses.includes(status) ? status : undefined;
    },
    { description: `invitation ${inviteCode} to show ${statuses.join(' or ')}`, timeoutMs, intervalMs: 200 },
  );
}

/** The referral link in the SMS the local outbox received for this code (what the friend taps). */
export async function linkFromOutbox(page: Page, outboxUrl: string, inviteCode: string): Promise<string> {
  await page.goto(outboxUrl);
  return waitFor(
    async () => {
      const text = await page.locator('body').innerText();
      const match = new RegExp(`https?://\\S+/invite/${inviteCode}`).exec(text);
      return match?.[0];
    },
    { description: `the SMS with ${inviteCode} on the outbox page`, timeoutMs: 60_000, intervalMs: 250 },
  );
}
