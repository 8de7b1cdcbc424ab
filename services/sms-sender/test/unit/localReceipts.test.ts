import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { createLocalOutbox } from '../../src/providers/local/outbox.ts';
import type { DeliveryReceipt } from '../../src/receipts/deliveryReceipt.ts';

async function outboxWith(t: ExecutionContext, receiptDelayMs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-receipts-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const outbox = createLocalOutbox({}, { dir, receiptDelayMs });
  await outbox.open();
  t.teardown(() => outbox.close());
  const receipts: DeliveryReceipt[] = [];
  outbox.onReceipt((receipt) => receipts.push(receipt));
  const send = (to: string, key: string) =>
    outbox.send({ to, body: 'hi', idempotencyKey: key, signal: AbortSignal.timeout(5000) });
  return { outbox, receipts, send };
}

test('every accepted send gets a delivered receipt after the delay; …9995 gets undelivered', async (t) => {
  const { outbox, receipts, send } = await outboxWith(t, 20);
  const ok = await send('+14155552671', 'inv-1');
  t.deepEqual(receipts, [], 'never before the send returned');
  const unreachable = await send('+14155559995', 'inv-2');
  await waitFor(async () => (receipts.length === 2 ? true : undefined), {
    description: 'two receipts',
    timeoutMs: 5000,
    intervalMs: 10,
  });
  const byId = Object.fromEntries(receipts.map((r) => [r.providerMessageId, r]));
  t.like(byId[ok.providerMessageId], { provider: 'local', outcome: 'delivered', error: undefined });
  t.like(byId[unreachable.providerMessageId], {
    outcome: 'undelivered',
    error: { code: 'CARRIER_UNREACHABLE' },
  });
  t.deepEqual(
    outbox.messages().map((m) => m.receipt),
    ['undelivered', 'delivered'],
    'the page shows them',
  );
});

test('receipts can be turned off, and close() cancels the pending ones', async (t) => {
  const off = await outboxWith(t, -1);
  await off.send('+14155552671', 'inv-3');
  const pending = await outboxWith(t, 60_000);
  await pending.send('+14155552671', 'inv-4');
  pending.outbox.close();
  t.deepEqual(off.receipts, []);
  t.deepEqual(pending.receipts, []);
  t.is(pending.outbox.messages()[0]?.receipt, undefined);
});
