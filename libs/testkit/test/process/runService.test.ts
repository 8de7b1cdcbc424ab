import test from 'ava';
import { runService } from '../../src/index.ts';

const entry = 'libs/testkit/test/fixtures/echoService.ts';
// The fixture is not instrumented; skipping the telemetry preload keeps these tests about process handling.
const telemetry = false;

test('runs a real child with only the given env and captures JSON and plain lines', async (t) => {
  const service = runService(t, { name: 'echo', entry, env: { GREETING: 'hello' }, telemetry });
  const started = await service.waitForLog((l) => l.json?.msg === 'started');
  t.is(started.json?.greeting, 'hello');
  t.is(started.json?.leaked, null, 'the test runner environment does not leak into the child');
  await service.waitForLog((l) => l.stream === 'stderr' && l.text === 'plain stderr line');
  t.truthy(service.pid);

  const exit = await service.kill('SIGTERM');
  t.deepEqual(exit, { code: 0, signal: null });
  t.true(service.logs().some((l) => l.json?.msg === 'draining'));
});

test('exited reports a crash and waitForLog fails instead of hanging', async (t) => {
  const service = runService(t, { name: 'crasher', entry, env: {}, args: ['--crash'], telemetry });
  const error = await t.throwsAsync(service.waitForLog((l) => l.json?.msg === 'never printed', 5000));
  t.regex(error.message, /crasher exited \(code 3, signal none\)/);
  t.regex(error.message, /crashing on purpose/);
  t.deepEqual(await service.exited, { code: 3, signal: null });
});

test('waitForLog times out with the tail of the output', async (t) => {
  const service = runService(t, { name: 'quiet', entry, env: {}, telemetry });
  await service.waitForLog((l) => l.json?.msg === 'started');
  const error = await t.throwsAsync(service.waitForLog((l) => l.text.includes('nope'), 300));
  t.regex(error.message, /quiet: no log line matched .* within 300 ms/);
  t.regex(error.message, /"msg":"started"/);
});
