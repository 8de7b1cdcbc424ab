// The shared linger batcher's mechanics, with a recording `send`: what goes in one call (limits,
// sizes, keys), retries of entries answered `again`, and flush. The AWS-facing batchers built on it
// are tested against the emulators (annotateLater, prefetch/deletes) and with SNS's answers
// (image-worker's publishBatcher).
import test from 'ava';
import { createLingerBatcher, type EntryVerdict } from '../../src/index.ts';

function recording<T>(answer: (entries: readonly T[], call: number) => Array<EntryVerdict<string>>) {
  const calls: T[][] = [];
  const batcher = createLingerBatcher<T, string>({
    lingerMs: 1_000,
    maxEntries: 3,
    maxBytes: 10,
    sizeOf: (entry) => String(entry).length,
    keyOf: (entry) => String(entry).slice(0, 1),
    maxTries: 2,
    async send(entries) {
      calls.push([...entries]);
      return answer(entries, calls.length);
    },
  });
  return { batcher, calls };
}

test('entries queued together share calls within the entry, size and key limits, in order', async (t) => {
  const { batcher, calls } = recording<string>((entries) => entries.map((e) => ({ settle: `ok:${e}` })));
  // The third entry fills a call (3), so what is queued goes out at once: a2 cannot join a1 (same
  // key) and gets a call of its own. The next three fill another: 'bbbbbbbb' (8 bytes) and d1 make
  // 10, so e1 no longer fits within 10 bytes.
  const results = Promise.all(['a1', 'c1', 'a2', 'bbbbbbbb', 'd1', 'e1'].map((e) => batcher.add(e)));
  await batcher.flush();
  t.deepEqual(await results, ['ok:a1', 'ok:c1', 'ok:a2', 'ok:bbbbbbbb', 'ok:d1', 'ok:e1']);
  t.deepEqual(calls, [['a1', 'c1'], ['a2'], ['bbbbbbbb', 'd1'], ['e1']]);
});

test('an entry answered `again` is sent again until its tries are spent, then settles with its last answer', async (t) => {
  const { batcher, calls } = recording<string>((entries, call) =>
    entries.map((e) =>
      e === 'x1' || (e === 'y1' && call === 1) ? { again: `failed:${e}` } : { settle: `ok:${e}` },
    ),
  );
  const results = Promise.all(['x1', 'y1', 'z1'].map((e) => batcher.add(e)));
  await batcher.flush();
  t.deepEqual(await results, ['failed:x1', 'ok:y1', 'ok:z1']);
  t.deepEqual(calls, [
    ['x1', 'y1', 'z1'],
    ['x1', 'y1'],
  ]);
});

test('a full call goes at once; the rest waits for the linger unless flushed or told to stop lingering', async (t) => {
  const { batcher, calls } = recording<string>((entries) => entries.map((e) => ({ settle: e })));
  const full = Promise.all(['a', 'b', 'c'].map((e) => batcher.add(e)));
  t.deepEqual(await full, ['a', 'b', 'c']);
  t.is(calls.length, 1, 'sent without waiting for the linger');
  void batcher.add('d');
  t.is(calls.length, 1, 'a lone entry lingers');
  batcher.stopLingering();
  t.deepEqual(calls.at(-1), ['d']);
  t.is(await batcher.add('e'), 'e');
  t.deepEqual(calls.at(-1), ['e'], 'no linger after stopLingering');
});
