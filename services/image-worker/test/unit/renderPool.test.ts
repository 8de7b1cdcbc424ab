import test from 'ava';
import { RenderCancelled } from '../../src/errors.ts';
import { classifyError } from '@platform/errors';
import type { LagMetrics } from '../../src/render/eventLoopLag.ts';
import { DEFAULT_RENDER_LIMITS } from '../../src/render/limits.ts';
import { createRenderPool } from '../../src/render/RenderPool.ts';
import { prepareRenderSpec } from '../../src/render/spec.ts';

const limits = { ...DEFAULT_RENDER_LIMITS, maxFractalIterations: 1_000_000_000 };
const card = prepareRenderSpec(
  { template: 'card', width: 200, height: 100, format: 'png', params: { title: 'Pool' } },
  limits,
);
// Inside the set: every pixel runs every iteration, far longer than the test waits.
const endless = prepareRenderSpec(
  {
    template: 'fractal',
    width: 64,
    height: 64,
    format: 'png',
    params: { iterations: 500_000_000, centerX: -0.2, zoom: 50 },
  },
  limits,
);

test('an aborted render stops its thread, rejects as a transient RenderCancelled, and the pool keeps working', async (t) => {
  const recorded: Array<[string, number]> = [];
  const record: LagMetrics['record'] = (name, value, ..._dimensions) => {
    recorded.push([name, value]);
  };
  const pool = createRenderPool({ metrics: { record } }, { threads: 1, lagIntervalMs: 100 });
  t.teardown(() => pool.close());

  const controller = new AbortController();
  const running = pool.render(endless, { signal: controller.signal });
  // Let it start drawing, then pull the plug, as a lost lease does.
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  controller.abort(new Error('lease lost'));
  const error = await t.throwsAsync(running, { instanceOf: RenderCancelled, message: /lease lost/ });
  t.true(Date.now() - started < 10_000, 'stopped promptly, not after the render');
  t.is(classifyError(error).kind, 'transient');

  // The single thread was replaced: the next render works.
  const image = await pool.render(card);
  t.true(image.bytes.byteLength > 0);
  t.true(
    recorded.some(([name]) => name === 'EventLoopLagMs'),
    'event-loop lag is reported while rendering',
  );
});

test('a signal aborted before the render starts never reaches a thread', async (t) => {
  const pool = createRenderPool({ metrics: { record: () => {} } }, { threads: 1 });
  t.teardown(() => pool.close());
  const controller = new AbortController();
  controller.abort(new Error('shutting down'));
  await t.throwsAsync(pool.render(card, { signal: controller.signal }));
});

test('heavy renders leave the event loop free: heartbeat-sized timers keep firing on time', async (t) => {
  const pool = createRenderPool({ metrics: { record: () => {} } }, { threads: 2 });
  t.teardown(() => pool.close());
  const controller = new AbortController();
  const renders = [
    pool.render(endless, { signal: controller.signal }),
    pool.render(endless, { signal: controller.signal }),
  ];
  for (const r of renders) r.catch(() => undefined);
  // 10 ticks of 100 ms while both threads draw flat out: the largest gap stays far below a heartbeat.
  let last = performance.now();
  let worst = 0;
  for (let i = 0; i < 10; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = performance.now();
    worst = Math.max(worst, now - last - 100);
    last = now;
  }
  controller.abort(new Error('done'));
  await Promise.allSettled(renders);
  t.true(worst < 1_000, `worst timer delay ${worst.toFixed(0)} ms`);
});
