// Every malformed request of issue 9 sent over a raw socket to REAL invite-api and sms-sender
// processes (the API, the sender's health port and its local outbox page): each is answered with
// its status and a body, and the processes stay up (/healthz 200 afterwards, no fatal line). Both
// run with METRICS_SINK=cloudwatch against the emulators, which have no CloudWatch: they start,
// and a failed metrics flush is a warning, never a crash.
import { connect } from 'node:net';
import { runService, useIsolatedAws, waitFor, type RunningService } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { LOCAL_DEV_JWT, mintToken } from '../../services/invite-api/src/auth/mintToken.ts';
import { INVITE_API_ENTRY } from '../../services/invite-api/test/helpers/childService.ts';
import { baseTestEnv } from '../../services/invite-api/test/helpers/harness.ts';
import { startSender, TEST_QUEUES } from '../../services/sms-sender/test/helpers/smsSender.ts';
import { malformedRequests, sendRaw } from './rawHttp.ts';

function assertAlive(t: ExecutionContext, service: RunningService): void {
  const fatal = service.logs().filter((line) => line.json?.level === 'fatal' || line.stream === 'stderr');
  t.deepEqual(
    fatal.map((line) => line.text),
    [],
    'no fatal line and nothing on stderr',
  );
}

/**
 * Each malformed request is answered and nothing is a 5xx. Where the request's path reads the body
 * (POST /api/invitations), or the bytes break the request line or headers, the parser's refusal
 * comes first: exactly `status`, with a JSON body. A route that answers without reading the body
 * (a probe, a 405) may answer before the parser reaches the broken bytes; then that answer stands
 * and the connection is closed.
 */
async function assertAnswered(
  t: ExecutionContext,
  port: number,
  path: string,
  options: { readsBody: boolean; expectBody: (body: unknown, status: number) => void },
): Promise<void> {
  for (const [name, { raw, status, beforeTheApp }] of Object.entries(malformedRequests(path))) {
    const exchange = await sendRaw(port, raw);
    const seen = exchange.statuses.join(', ') || 'nothing';
    t.true(exchange.statuses.length > 0, `${name} on ${path}: answered`);
    t.true(
      exchange.statuses.every((code) => code < 500),
      `${name} on ${path}: never a 5xx (${seen})`,
    );
    if (!options.readsBody && !beforeTheApp) continue;
    t.is(exchange.statuses.at(-1), status, `${name} on ${path}: refused with ${status} (${seen})`);
    let body: unknown;
    t.notThrows(
      () => {
        body = JSON.parse(exchange.lastBody) as unknown;
      },
      `${name}: a JSON body (${exchange.lastBody.slice(0, 200)})`,
    );
    options.expectBody(body, status);
  }
}

test('invite-api answers every malformed request with its JSON error and stays up', async (t) => {
  const aws = await useIsolatedAws(t, { queues: { inviteEvents: { visibilityTimeoutSeconds: 2 } } });
  const service = runService(t, {
    name: 'invite-api',
    entry: INVITE_API_ENTRY,
    env: { ...baseTestEnv(aws), PORT: '0', METRICS_SINK: 'cloudwatch', LOG_LEVEL: 'debug' },
  });
  // Generous: two cores shared by every test of the run.
  const listening = await service.waitForLog((line) => line.json?.msg === 'invite-api listening', 120_000);
  const baseUrl = `http://127.0.0.1:${Number(listening.json?.port)}`;
  const port = Number(new URL(baseUrl).port);

  for (const path of ['/api/invitations', '/healthz', '/no/such/path']) {
    await assertAnswered(t, port, path, {
      readsBody: path === '/api/invitations',
      expectBody: (body, status) =>
        t.like(body, {
          success: false,
          error: { code: status === 431 ? 'HEADERS_TOO_LARGE' : 'VALIDATION_ERROR' },
        }),
    });
  }

  // A client that hangs up in the middle of its body: routine, logged at debug, never an error line.
  const token = await mintToken({ sub: 'hang-up-user', name: 'Hal', ttlSeconds: 600, ...LOCAL_DEV_JWT });
  const requestLines = () => service.logs().filter((line) => line.json?.msg === 'request').length;
  const before = requestLines();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    `POST /api/invitations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"phoneNu',
    () => socket.destroy(),
  );
  await waitFor(() => requestLines() > before, {
    description: 'the abandoned request to be logged',
    timeoutMs: 60_000,
  });

  t.is((await fetch(`${baseUrl}/healthz`)).status, 200);
  assertAlive(t, service);
  const errors = service.logs().filter((line) => line.json?.level === 'error');
  t.deepEqual(
    errors.map((line) => line.text),
    [],
    'nothing a client sent is logged as an error',
  );
  const noisy = service.logs().filter((line) => line.json?.msg === 'unhandled error after the response');
  t.deepEqual(
    noisy.map((line) => line.text),
    [],
    'a client that hung up is not an error',
  );
  t.truthy(service.logs().find((line) => line.json?.msg === 'malformed request refused'));
});

test('sms-sender answers every malformed request on its health port and outbox page and stays up', async (t) => {
  const aws = await useIsolatedAws(t, { queues: TEST_QUEUES });
  const { service, healthPort, outboxUrl } = await startSender(t, aws, {
    env: { METRICS_SINK: 'cloudwatch' },
  });
  const outboxPort = Number(new URL(outboxUrl).port);

  for (const port of [healthPort, outboxPort]) {
    await assertAnswered(t, port, '/healthz', {
      readsBody: false,
      expectBody: (body, status) =>
        t.like(body, { error: { code: status === 431 ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST' } }),
    });
  }

  t.is((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);
  t.is((await fetch(outboxUrl)).status, 200);
  assertAlive(t, service);
});
