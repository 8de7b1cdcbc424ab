import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test from 'ava';
import Koa from 'koa';
import { createLogger } from '@platform/telemetry';
import { AppError } from '../../src/errors.ts';
import { errorHandler } from '../../src/http/errorHandler.ts';
import type { AppState } from '../../src/http/types.ts';

/** A one-route app whose route throws `error`; returns the response and what was logged. */
async function answerTo(
  error: unknown,
): Promise<{ status: number; body: unknown; headers: Headers; logged: string }> {
  let logged = '';
  const logger = createLogger({
    service: 'test',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged += chunk.toString('utf8');
        callback();
      },
    }),
  });
  const app = new Koa<AppState>();
  app.silent = true;
  app.use(errorHandler({ logger }));
  app.use(() => {
    throw error;
  });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: res.status, body: await res.json(), headers: res.headers, logged };
  } finally {
    server.close();
  }
}

test('an AppError is its status, code, message, details and headers', async (t) => {
  const res = await answerTo(
    new AppError('RATE_LIMITED_USER', 'slow down', {
      details: { limit: 10 },
      headers: { 'Retry-After': '60' },
    }),
  );
  t.is(res.status, 429);
  t.deepEqual(res.body, {
    success: false,
    error: { code: 'RATE_LIMITED_USER', message: 'slow down', details: { limit: 10 } },
  });
  t.is(res.headers.get('retry-after'), '60');
});

test('an unexpected error is a 500 that never shows its message, and is logged with its stack', async (t) => {
  const res = await answerTo(new TypeError('secret internal detail: table prod-invitations'));
  t.is(res.status, 500);
  t.deepEqual(res.body, { success: false, error: { code: 'INTERNAL_ERROR', message: 'Internal error' } });
  t.regex(res.logged, /secret internal detail/, 'the log keeps it for us');
  t.regex(res.logged, /"level":"error"/);
});

test('a throttled or failing AWS call is a 503 with Retry-After, not a 500', async (t) => {
  const throttled = Object.assign(new Error('Rate exceeded'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
  const res = await answerTo(throttled);
  t.is(res.status, 503);
  t.like(res.body, { error: { code: 'SERVICE_UNAVAILABLE' } });
  t.is(res.headers.get('retry-after'), '1');
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
  t.is((await answerTo(refused)).status, 503);
});

test("Koa's own client errors keep their status under our codes", async (t) => {
  const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
  t.like((await answerTo(tooLarge)).body, { error: { code: 'PAYLOAD_TOO_LARGE' } });
  const teapot = Object.assign(new Error("I'm a teapot"), { status: 418, expose: true });
  const res = await answerTo(teapot);
  t.is(res.status, 400);
  t.like(res.body, { error: { code: 'VALIDATION_ERROR' } });
});
