import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { SmsPermanentFailure, SmsTransientFailure } from '../../src/errors.ts';
import {
  createLocalOutbox,
  OUTBOX_FILE_NAME,
  type LocalOutboxOptions,
} from '../../src/providers/local/outbox.ts';

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sms-outbox-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const send = (to: string, key = 'inv-1', signal = new AbortController().signal) => ({
  to,
  body: `hello ${key}`,
  idempotencyKey: key,
  signal,
});

async function lines(dir: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(dir, OUTBOX_FILE_NAME), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function outboxIn(t: ExecutionContext, options: Partial<LocalOutboxOptions> = {}, random = () => 0.99) {
  const dir = await tempDir(t);
  let n = 0;
  const outbox = createLocalOutbox(
    { clock: () => Date.UTC(2025, 0, 31, 12), random, newId: () => `local-${++n}` },
    { dir, ...options },
  );
  await outbox.open();
  return { dir, outbox };
}

test('an accepted send is one JSON line and shows in the view, newest first', async (t) => {
  const { dir, outbox } = await outboxIn(t);

  t.deepEqual(await outbox.send(send('+14155552671', 'inv-1')), { providerMessageId: 'local-1' });
  await outbox.send(send('+14155552672', 'inv-2'));

  const stored = await lines(dir);
  t.is(stored.length, 2);
  t.like(stored[0], {
    id: 'local-1',
    to: '+14155552671',
    body: 'hello inv-1',
    idempotencyKey: 'inv-1',
    acceptedAt: '2025-01-31T12:00:00.000Z',
  });
  t.deepEqual(
    outbox.messages().map((m) => m.id),
    ['local-2', 'local-1'],
  );
});

test('like SNS it never deduplicates: the ledger has to', async (t) => {
  const { dir, outbox } = await outboxIn(t);
  await outbox.send(send('+14155552671', 'inv-1'));
  await outbox.send(send('+14155552671', 'inv-1'));
  t.is((await lines(dir)).length, 2);
});

test('magic suffixes: 9990 invalid, 9991 opted out (permanent), 9993 always throttled', async (t) => {
  const { dir, outbox } = await outboxIn(t);

  const invalid = await t.throwsAsync(outbox.send(send('+14155559990')), { instanceOf: SmsPermanentFailure });
  t.is(invalid.code, 'INVALID_PHONE_NUMBER');
  const optedOut = await t.throwsAsync(outbox.send(send('+14155559991')), {
    instanceOf: SmsPermanentFailure,
  });
  t.is(optedOut.code, 'OPTED_OUT');
  for (let i = 0; i < 3; i++) {
    const throttled = await t.throwsAsync(outbox.send(send('+14155559993')), {
      instanceOf: SmsTransientFailure,
    });
    t.is(throttled.code, 'PROVIDER_THROTTLED');
  }
  t.is((await lines(dir)).length, 0);
  t.is(outbox.rejections().length, 5);
  t.like(outbox.rejections()[0], { code: 'PROVIDER_THROTTLED', kind: 'transient' });
});

test('9992 fails twice per idempotency key, then accepts', async (t) => {
  const { dir, outbox } = await outboxIn(t);
  await t.throwsAsync(outbox.send(send('+14155559992', 'inv-a')), { instanceOf: SmsTransientFailure });
  await t.throwsAsync(outbox.send(send('+14155559992', 'inv-a')), { instanceOf: SmsTransientFailure });
  await t.throwsAsync(outbox.send(send('+14155559992', 'inv-b')), { instanceOf: SmsTransientFailure });
  t.truthy(await outbox.send(send('+14155559992', 'inv-a')));
  t.deepEqual(
    (await lines(dir)).map((l) => l.idempotencyKey),
    ['inv-a'],
  );
});

test('magic numbers can be switched off', async (t) => {
  const { outbox } = await outboxIn(t, { magicNumbers: false });
  t.truthy(await outbox.send(send('+14155559990')));
});

test('SMS_LOCAL_FAILURE_RATE fails that share of sends transiently (decided by the injected random)', async (t) => {
  const draws = [0.05, 0.5, 0.09, 0.95];
  const { outbox } = await outboxIn(t, { failureRate: 0.1 }, () => draws.shift() ?? 1);
  const outcomes = [];
  for (let i = 0; i < 4; i++) {
    outcomes.push(
      await outbox.send(send('+14155552671', `k${i}`)).then(
        () => 'sent',
        (e: SmsTransientFailure) => e.code,
      ),
    );
  }
  t.deepEqual(outcomes, ['PROVIDER_UNAVAILABLE', 'sent', 'PROVIDER_UNAVAILABLE', 'sent']);
});

test('a slow (9994) send aborted mid-call reports an unknown outcome and writes nothing', async (t) => {
  const { dir, outbox } = await outboxIn(t, { slowMs: 60_000 });
  const controller = new AbortController();
  const pending = outbox.send(send('+14155559994', 'inv-1', controller.signal));
  controller.abort(new Error('shutdown'));
  const error = await t.throwsAsync(pending, { instanceOf: SmsTransientFailure });
  t.is(error.outcome, 'unknown');
  t.is((await lines(dir)).length, 0);
});

test('a restart shows earlier messages; a torn last line is skipped', async (t) => {
  const { dir, outbox } = await outboxIn(t);
  await outbox.send(send('+14155552671', 'inv-1'));
  await writeFile(
    join(dir, OUTBOX_FILE_NAME),
    `${await readFile(join(dir, OUTBOX_FILE_NAME), 'utf8')}{"id":"torn`,
  );

  const reopened = createLocalOutbox({}, { dir });
  await reopened.open();
  t.deepEqual(
    reopened.messages().map((m) => m.idempotencyKey),
    ['inv-1'],
  );
});
