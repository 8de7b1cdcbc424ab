// The error mapping table: real AWS SDK v3 SNS exception classes, real Twilio error bodies and real
// network failures go in; the sender's code, kind and outcome come out.
import { createServer } from 'node:net';
import {
  AuthorizationErrorException,
  EndpointDisabledException,
  InternalErrorException,
  InvalidParameterException,
  InvalidParameterValueException,
  KMSThrottlingException,
  OptedOutException,
  SNSClient,
  PublishCommand,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { classifyError } from '@platform/errors';
import test, { type ExecutionContext } from 'ava';
import { SmsPermanentFailure, SmsTransientFailure, type SmsSendError } from '../../src/errors.ts';
import { mapSnsError } from '../../src/providers/sns.ts';
import { mapTwilioError, mapTwilioResponse } from '../../src/providers/twilio.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode, requestId: 'req-1' } });

type Expected = [kind: 'transient' | 'permanent', code: string, outcome?: 'not-sent' | 'unknown'];

const snsTable: Array<[string, unknown, Expected]> = [
  [
    'OptedOutException',
    new OptedOutException({ message: 'Phone number is opted out', ...meta(400) }),
    ['permanent', 'OPTED_OUT'],
  ],
  [
    'InvalidParameter naming PhoneNumber',
    new InvalidParameterException({
      message: 'Invalid parameter: PhoneNumber Reason: +15551234567 is not valid to publish to',
      ...meta(400),
    }),
    ['permanent', 'INVALID_PHONE_NUMBER'],
  ],
  [
    'InvalidParameter saying opted out',
    new InvalidParameterException({
      message: 'Invalid parameter: PhoneNumber Reason: +14155552671 is opted out',
      ...meta(400),
    }),
    ['permanent', 'OPTED_OUT'],
  ],
  [
    'InvalidParameterValue on a message attribute',
    new InvalidParameterValueException({
      message: 'Invalid parameter: MessageAttributes AWS.SNS.SMS.SenderID',
      ...meta(400),
    }),
    ['permanent', 'PROVIDER_REJECTED'],
  ],
  [
    'EndpointDisabledException',
    new EndpointDisabledException({ message: 'Endpoint is disabled', ...meta(400) }),
    ['permanent', 'PROVIDER_REJECTED'],
  ],
  [
    'ThrottledException',
    new ThrottledException({ message: 'Rate exceeded', ...meta(400) }),
    ['transient', 'PROVIDER_THROTTLED', 'not-sent'],
  ],
  [
    'KMSThrottlingException',
    new KMSThrottlingException({ message: 'KMS rate exceeded', ...meta(400) }),
    ['transient', 'PROVIDER_THROTTLED', 'not-sent'],
  ],
  [
    'InternalErrorException (5xx)',
    new InternalErrorException({ message: 'Internal error', ...meta(500) }),
    ['transient', 'PROVIDER_UNAVAILABLE', 'unknown'],
  ],
  [
    'AuthorizationErrorException',
    new AuthorizationErrorException({ message: 'not authorized to perform SNS:Publish', ...meta(403) }),
    ['transient', 'PROVIDER_MISCONFIGURED', 'not-sent'],
  ],
  [
    'unknown 503 from a proxy',
    Object.assign(new Error('Service Unavailable'), { name: 'Unknown', $fault: 'server', ...meta(503) }),
    ['transient', 'PROVIDER_UNAVAILABLE', 'unknown'],
  ],
  [
    'connection refused before sending',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', $metadata: {} }),
    ['transient', 'PROVIDER_UNREACHABLE', 'not-sent'],
  ],
  [
    'connection reset after sending',
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} }),
    ['transient', 'PROVIDER_UNREACHABLE', 'unknown'],
  ],
  [
    'our timeout (AbortSignal.timeout)',
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
    ['transient', 'PROVIDER_UNREACHABLE', 'unknown'],
  ],
];

const twilioTable: Array<[string, number, unknown, Expected]> = [
  [
    '21211 invalid To',
    400,
    { code: 21211, message: "The 'To' number +15551234567 is not a valid phone number.", status: 400 },
    ['permanent', 'INVALID_PHONE_NUMBER'],
  ],
  [
    '21614 not a mobile number',
    400,
    { code: 21614, message: "'To' number is not a valid mobile number", status: 400 },
    ['permanent', 'INVALID_PHONE_NUMBER'],
  ],
  [
    '21610 unsubscribed (STOP)',
    400,
    { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 },
    ['permanent', 'OPTED_OUT'],
  ],
  [
    '21408 region not enabled',
    400,
    { code: 21408, message: 'Permission to send an SMS has not been enabled', status: 400 },
    ['permanent', 'PROVIDER_REJECTED'],
  ],
  [
    '429 too many requests',
    429,
    { code: 20429, message: 'Too Many Requests', status: 429 },
    ['transient', 'PROVIDER_THROTTLED', 'not-sent'],
  ],
  [
    '500 internal',
    500,
    { code: 20500, message: 'Internal Server Error', status: 500 },
    ['transient', 'PROVIDER_UNAVAILABLE', 'unknown'],
  ],
  ['503 HTML page from a proxy', 503, undefined, ['transient', 'PROVIDER_UNAVAILABLE', 'unknown']],
  [
    '401 bad credentials',
    401,
    { code: 20003, message: 'Authenticate', status: 401 },
    ['transient', 'PROVIDER_MISCONFIGURED', 'not-sent'],
  ],
  [
    '21606 From not ours',
    400,
    { code: 21606, message: "The 'From' phone number is not a valid, SMS-capable number", status: 400 },
    ['transient', 'PROVIDER_MISCONFIGURED', 'not-sent'],
  ],
];

function assertMapped(t: ExecutionContext, error: SmsSendError, expected: Expected, provider: string) {
  const [kind, code, outcome] = expected;
  t.is<string, string>(error.code, code);
  t.is<string, string>(error.provider, provider);
  if (kind === 'permanent') {
    t.true(error instanceof SmsPermanentFailure);
  } else {
    t.true(error instanceof SmsTransientFailure);
    t.is<string | undefined, string | undefined>(error.outcome, outcome);
  }
  // The one platform classifier agrees, so consumers and ledgers read the same verdict.
  t.is(classifyError(error).kind, kind);
  t.is(classifyError(error).code, code);
  // The number a provider echoes never reaches logs or status events.
  t.notRegex(error.message, /\+1555|\+1415/);
}

for (const [title, error, expected] of snsTable) {
  test(`SNS: ${title} -> ${expected[1]}`, (t) => {
    assertMapped(t, mapSnsError(error), expected, 'sns');
  });
}

for (const [title, status, body, expected] of twilioTable) {
  test(`Twilio: ${title} -> ${expected[1]}`, (t) => {
    assertMapped(t, mapTwilioResponse(status, body), expected, 'twilio');
  });
}

test('Twilio: a real fetch to a closed port is unreachable and provably not sent', async (t) => {
  const port = await closedPort();
  const error = await fetch(`http://127.0.0.1:${port}/`).then(
    () => undefined,
    (e: unknown) => e,
  );
  assertMapped(t, mapTwilioError(error), ['transient', 'PROVIDER_UNREACHABLE', 'not-sent'], 'twilio');
});

test('SNS: the real SDK failing to connect is unreachable and provably not sent', async (t) => {
  const port = await closedPort();
  const sns = new SNSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  t.teardown(() => sns.destroy());
  const error = await sns.send(new PublishCommand({ PhoneNumber: '+14155552671', Message: 'hi' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  assertMapped(t, mapSnsError(error), ['transient', 'PROVIDER_UNREACHABLE', 'not-sent'], 'sns');
});

/** A port nobody listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
