import test from 'ava';
import type { Message } from '@aws-sdk/client-sqs';
import {
  ContractViolation,
  IMAGE_JOB_REQUESTED_V1_EXAMPLES,
  SMS_REQUESTED_V1_EXAMPLES,
  SMS_OPTOUT_V1_EXAMPLES,
  SMS_STATUS_V1_EXAMPLES,
  SQS_MAX_MESSAGE_BYTES,
  decodeMessage,
  encodeMessage,
  type ContractViolationReason,
} from '@platform/contracts';
import { PermanentError, classifyError } from '@platform/errors';
import { asReceived } from '../helpers/asReceived.ts';

function attributes(values: Record<string, string>): Message['MessageAttributes'] {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}

const validBody = JSON.stringify(SMS_REQUESTED_V1_EXAMPLES[0]);
const envelope = { contract: 'sms.requested', 'contract-version': '1', 'content-type': 'application/json' };

test('encode -> decode round-trips every example of every contract', (t) => {
  const samples = [
    ...IMAGE_JOB_REQUESTED_V1_EXAMPLES.map((payload) =>
      asReceived(encodeMessage('image.job.requested', payload)),
    ),
    ...SMS_REQUESTED_V1_EXAMPLES.map((payload) => asReceived(encodeMessage('sms.requested', payload))),
    ...SMS_STATUS_V1_EXAMPLES.map((payload) => asReceived(encodeMessage('sms.status', payload))),
    ...SMS_OPTOUT_V1_EXAMPLES.map((payload) => asReceived(encodeMessage('sms.optout', payload))),
  ];
  const decoded = samples.map((message) => decodeMessage(message));
  t.deepEqual(
    decoded.map(({ contract, version }) => `${contract}@${version}`),
    [
      ...IMAGE_JOB_REQUESTED_V1_EXAMPLES.map(() => 'image.job.requested@1'),
      ...SMS_REQUESTED_V1_EXAMPLES.map(() => 'sms.requested@1'),
      ...SMS_STATUS_V1_EXAMPLES.map(() => 'sms.status@1'),
      ...SMS_OPTOUT_V1_EXAMPLES.map(() => 'sms.optout@1'),
    ],
  );
  t.deepEqual(
    decoded.map(({ payload }) => payload),
    [
      ...IMAGE_JOB_REQUESTED_V1_EXAMPLES,
      ...SMS_REQUESTED_V1_EXAMPLES,
      ...SMS_STATUS_V1_EXAMPLES,
      ...SMS_OPTOUT_V1_EXAMPLES,
    ],
  );
});

test('decode narrows the payload by contract', (t) => {
  const decoded = decodeMessage(asReceived(encodeMessage('sms.status', SMS_STATUS_V1_EXAMPLES[1]!)));
  if (decoded.contract !== 'sms.status') return t.fail(`decoded ${decoded.contract}`);
  if (decoded.payload.status !== 'failed') return t.fail(`status ${decoded.payload.status}`);
  // `error` is required on a failed status, so no optional chaining is needed here.
  t.is(decoded.payload.error.code, 'PROVIDER_REJECTED');
});

interface RejectCase {
  name: string;
  message: Message;
  reason: ContractViolationReason;
  path?: string;
}

const rejects: RejectCase[] = [
  {
    name: 'no attributes at all',
    message: { Body: validBody },
    reason: 'MISSING_ATTRIBUTE',
    path: '/MessageAttributes/contract',
  },
  {
    name: 'no contract-version',
    message: { Body: validBody, MessageAttributes: attributes({ contract: 'sms.requested' }) },
    reason: 'MISSING_ATTRIBUTE',
    path: '/MessageAttributes/contract-version',
  },
  {
    name: 'an empty contract attribute',
    message: { Body: validBody, MessageAttributes: attributes({ ...envelope, contract: '' }) },
    reason: 'MISSING_ATTRIBUTE',
    path: '/MessageAttributes/contract',
  },
  {
    name: 'an unknown contract',
    message: { Body: validBody, MessageAttributes: attributes({ ...envelope, contract: 'sms.cancelled' }) },
    reason: 'UNKNOWN_CONTRACT',
  },
  {
    name: 'a prototype key as contract',
    message: { Body: validBody, MessageAttributes: attributes({ ...envelope, contract: 'toString' }) },
    reason: 'UNKNOWN_CONTRACT',
  },
  {
    name: 'an unsupported version',
    message: { Body: validBody, MessageAttributes: attributes({ ...envelope, 'contract-version': '2' }) },
    reason: 'UNSUPPORTED_VERSION',
  },
  {
    name: 'a non-numeric version',
    message: { Body: validBody, MessageAttributes: attributes({ ...envelope, 'contract-version': 'v1' }) },
    reason: 'UNSUPPORTED_VERSION',
  },
  {
    name: 'a body that is not JSON',
    message: { Body: '{"invitationId": "inv-1", +14155552671', MessageAttributes: attributes(envelope) },
    reason: 'INVALID_JSON',
    path: '/',
  },
  {
    name: 'no body',
    message: { MessageAttributes: attributes(envelope) },
    reason: 'INVALID_JSON',
    path: '/',
  },
  {
    name: 'a non-JSON content type',
    message: {
      Body: validBody,
      MessageAttributes: attributes({ ...envelope, 'content-type': 'text/plain' }),
    },
    reason: 'INVALID_JSON',
    path: '/MessageAttributes/content-type',
  },
  {
    name: 'a payload that fails the schema',
    message: {
      Body: JSON.stringify({ ...SMS_REQUESTED_V1_EXAMPLES[0], phoneNumber: '555' }),
      MessageAttributes: attributes(envelope),
    },
    reason: 'SCHEMA_VIOLATION',
    path: '/phoneNumber',
  },
  {
    name: 'a JSON array body',
    message: { Body: '[]', MessageAttributes: attributes(envelope) },
    reason: 'SCHEMA_VIOLATION',
    path: '/',
  },
  {
    name: 'a body over the SQS size limit',
    message: { Body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES), MessageAttributes: attributes(envelope) },
    reason: 'MESSAGE_TOO_LARGE',
  },
];

for (const { name, message, reason, path } of rejects) {
  test(`decode rejects ${name} as ${reason}`, (t) => {
    const error = t.throws(() => decodeMessage(message), { instanceOf: ContractViolation });
    t.is(error.reason, reason);
    t.is(error.name, 'ContractViolation');
    t.is(error.code, reason);
    t.true(error instanceof PermanentError);
    t.is(classifyError(error).kind, 'permanent');
    if (path !== undefined)
      t.true(
        error.errors.some((detail) => detail.path === path),
        JSON.stringify(error.errors),
      );
  });
}

test('a content type with parameters is still JSON', (t) => {
  const message = {
    Body: validBody,
    MessageAttributes: attributes({ ...envelope, 'content-type': 'application/json; charset=utf-8' }),
  };
  t.is(decodeMessage(message).contract, 'sms.requested');
});

test('an invalid JSON body is reported without quoting the body', (t) => {
  const error = t.throws(
    () => decodeMessage({ Body: '{"phoneNumber": +14155552671', MessageAttributes: attributes(envelope) }),
    { instanceOf: ContractViolation },
  );
  t.false(
    JSON.stringify({ message: error.message, errors: error.errors, cause: String(error.cause) }).includes(
      '4155552671',
    ),
  );
});
