import test from 'ava';
import {
  INVITE_CODE_ALPHABET,
  INVITE_CODE_PATTERN,
  createInviteCodeGenerator,
} from '../../src/domain/inviteCode.ts';

test('10,000 generated codes collide no more than chance allows, are well formed and use only the unambiguous alphabet', (t) => {
  const generate = createInviteCodeGenerator();
  const codes = new Set<string>();
  for (let i = 0; i < 10_000; i++) codes.add(generate());
  t.log(`${codes.size} distinct codes out of 10,000 generated`);
  // Random codes are not unique by themselves (the conditional write on CODE#<code> makes them so):
  // with 31^6 ≈ 8.9e8 codes, 10,000 draws expect 10,000² / (2 · 31^6) ≈ 0.056 collisions, so one
  // happens in ~5 % of runs; 3 or more has a probability of ~3e-5 and means a biased generator.
  t.true(10_000 - codes.size <= 2, `${10_000 - codes.size} collisions`);
  for (const code of codes) t.regex(code, INVITE_CODE_PATTERN);
  const used = new Set([...codes].flatMap((code) => [...code.slice(4)]));
  for (const ambiguous of ['0', 'O', '1', 'I', 'L']) t.false(used.has(ambiguous), ambiguous);
  t.is(INVITE_CODE_ALPHABET.length, 31);
});

test('every symbol of the alphabet is reachable (the generator spans the whole alphabet)', (t) => {
  let next = 0;
  const generate = createInviteCodeGenerator((max) => next++ % max);
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) for (const c of generate().slice(4)) seen.add(c);
  t.is(seen.size, INVITE_CODE_ALPHABET.length);
});

test('the generator uses the injected randomness', (t) => {
  const generate = createInviteCodeGenerator(() => 0);
  t.is(generate(), 'APP-222222');
});
