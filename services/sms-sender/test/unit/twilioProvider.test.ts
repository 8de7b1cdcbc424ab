// The Twilio adapter against a FAKE Twilio HTTP server started on port 0: Twilio's Messages API is
// an outside vendor nothing here emulates. The fake checks what Twilio checks (basic auth, form body)
// and answers with Twilio's documented JSON shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { SmsPermanentFailure, SmsTransientFailure } from '../../src/errors.ts';
import { createTwilioProvider } from '../../src/providers/twilio.ts';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'fake-auth-token';

interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: URLSearchParams;
}

interface FakeTwilio {
  baseUrl: string;
  requests: SeenRequest[];
  /** Next answers, by recipient suffix; default 201 with a sid. */
  respond: (request: SeenRequest, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startFakeTwilio(): Promise<FakeTwilio> {
  const requests: SeenRequest[] = [];
  const fake: FakeTwilio = {
    baseUrl: '',
    requests,
    respond: (_request, res) =>
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sid: `SM${'f'.repeat(32)}`, status: 'queued' })),
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        form: new URLSearchParams(body),
      };
      requests.push(seen);
      const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      if (seen.authorization !== expected) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }));
        return;
      }
      fake.respond(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

const request = (signal: AbortSignal = new AbortController().signal) => ({
  to: '+14155552671',
  body: 'Ada invited you. Use code APP-8F3K92',
  idempotencyKey: 'inv-1',
  signal,
});

test('POSTs the form to the Messages resource with basic auth and returns the sid', async (t) => {
  const twilio = await startFakeTwilio();
  t.teardown(() => twilio.close());
  const provider = createTwilioProvider(
    {},
    { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+18005550100', baseUrl: twilio.baseUrl },
  );

  const result = await provider.send(request());

  t.deepEqual(result, { providerMessageId: `SM${'f'.repeat(32)}` });
  t.is(twilio.requests.length, 1);
  const seen = twilio.requests[0]!;
  t.is(seen.method, 'POST');
  t.is(seen.path, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
  t.regex(seen.contentType ?? '', /^application\/x-www-form-urlencoded/);
  t.is(seen.form.get('To'), '+14155552671');
  t.is(seen.form.get('From'), '+18005550100');
  t.is(seen.form.get('Body'), 'Ada invited you. Use code APP-8F3K92');
  t.false(seen.form.has('MessagingServiceSid'));
});

test('a messaging service replaces From', async (t) => {
  const twilio = await startFakeTwilio();
  t.teardown(() => twilio.close());
  const messagingServiceSid = `MG${'a'.repeat(32)}`;
  const provider = createTwilioProvider(
    {},
    { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, messagingServiceSid, baseUrl: twilio.baseUrl },
  );

  await provider.send(request());

  t.is(twilio.requests[0]!.form.get('MessagingServiceSid'), messagingServiceSid);
  t.false(twilio.requests[0]!.form.has('From'));
});

const answers: Array<[string, number, Record<string, unknown>, 'permanent' | 'transient', string]> = [
  [
    '21211 invalid number',
    400,
    { code: 21211, message: "The 'To' number +14155552671 is not a valid phone number.", status: 400 },
    'permanent',
    'INVALID_PHONE_NUMBER',
  ],
  [
    '21610 unsubscribed',
    400,
    { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 },
    'permanent',
    'OPTED_OUT',
  ],
  [
    '21614 not mobile',
    400,
    { code: 21614, message: "'To' number is not a valid mobile number", status: 400 },
    'permanent',
    'INVALID_PHONE_NUMBER',
  ],
  [
    '429 throttled',
    429,
    { code: 20429, message: 'Too Many Requests', status: 429 },
    'transient',
    'PROVIDER_THROTTLED',
  ],
  [
    '503 unavailable',
    503,
    { code: 20503, message: 'Service Unavailable', status: 503 },
    'transient',
    'PROVIDER_UNAVAILABLE',
  ],
];

for (const [title, status, body, kind, code] of answers) {
  test(`fake Twilio answering ${title} -> ${code}`, async (t) => {
    const twilio = await startFakeTwilio();
    t.teardown(() => twilio.close());
    twilio.respond = (_seen, res) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const provider = createTwilioProvider(
      {},
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+18005550100', baseUrl: twilio.baseUrl },
    );

    const error = await provider.send(request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof SmsPermanentFailure || error instanceof SmsTransientFailure)) {
      t.fail(`expected a mapped error, got ${String(error)}`);
      return;
    }
    t.is(error.retryable, kind === 'transient');
    t.is<string, string>(error.code, code);
    t.is(error.httpStatus, status);
    t.notRegex(error.message, /4155552671/);
  });
}

test('a wrong auth token is an operator problem: transient PROVIDER_MISCONFIGURED, token never in the error', async (t) => {
  const twilio = await startFakeTwilio();
  t.teardown(() => twilio.close());
  const provider = createTwilioProvider(
    {},
    { accountSid: ACCOUNT_SID, authToken: 'wrong-token', from: '+18005550100', baseUrl: twilio.baseUrl },
  );

  const error = await t.throwsAsync(provider.send(request()), { instanceOf: SmsTransientFailure });
  t.is(error.code, 'PROVIDER_MISCONFIGURED');
  t.notRegex(JSON.stringify({ message: error.message, details: error.details }), /wrong-token/);
});

test('a call that outlives its timeout is aborted with an unknown outcome', async (t) => {
  const twilio = await startFakeTwilio();
  t.teardown(() => twilio.close());
  twilio.respond = () => undefined; // never answers: Twilio may or may not have taken it
  const provider = createTwilioProvider(
    {},
    { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+18005550100', baseUrl: twilio.baseUrl },
  );

  const error = await t.throwsAsync(provider.send(request(AbortSignal.timeout(200))), {
    instanceOf: SmsTransientFailure,
  });
  t.is(error.code, 'PROVIDER_UNREACHABLE');
  t.is(error.outcome, 'unknown');
  t.is(twilio.requests.length, 1);
});
