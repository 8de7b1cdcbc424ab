import test from 'ava';
import {
  ATTRIBUTE_NAMES,
  ContractViolation,
  IMAGE_JOB_REQUESTED_V1_EXAMPLES,
  MAX_OWN_ATTRIBUTES,
  SMS_REQUESTED_V1_EXAMPLES,
  SQS_MAX_MESSAGE_BYTES,
  TRACE_ATTRIBUTE_NAMES,
  encodeMessage,
  sqsMessageSizeBytes,
  type ContractName,
} from '@platform/contracts';

const sms = SMS_REQUESTED_V1_EXAMPLES[0]!;
const image = IMAGE_JOB_REQUESTED_V1_EXAMPLES[0]!;

test('encode writes a JSON body and the envelope attributes', (t) => {
  const encoded = encodeMessage('sms.requested', sms);
  t.deepEqual(JSON.parse(encoded.MessageBody), sms);
  t.deepEqual(encoded.MessageAttributes, {
    contract: { DataType: 'String', StringValue: 'sms.requested' },
    'contract-version': { DataType: 'String', StringValue: '1' },
    'content-type': { DataType: 'String', StringValue: 'application/json' },
  });
  t.false('QueueUrl' in encoded);
});

test('our own attributes stay within 7, leaving room for the 3 trace attributes', (t) => {
  const encoded = encodeMessage('image.job.requested', image);
  const own = Object.keys(encoded.MessageAttributes).filter(
    (name) => !(TRACE_ATTRIBUTE_NAMES as readonly string[]).includes(name),
  );
  t.true(own.length <= MAX_OWN_ATTRIBUTES, `${own.length} own attributes`);
  // The dead-letter attributes are ours too and arrive on top of the envelope.
  t.true(own.length + 2 <= 7);
  t.is(MAX_OWN_ATTRIBUTES, 7);
  t.deepEqual(own, [ATTRIBUTE_NAMES.contract, ATTRIBUTE_NAMES.contractVersion, ATTRIBUTE_NAMES.contentType]);
});

test('encode passes DelaySeconds, MessageDeduplicationId and MessageGroupId through', (t) => {
  const encoded = encodeMessage('image.job.requested', image, {
    delaySeconds: 30,
    messageDeduplicationId: 'job-2025-0001',
    messageGroupId: 'tenant-a',
  });
  t.is(encoded.DelaySeconds, 30);
  t.is(encoded.MessageDeduplicationId, 'job-2025-0001');
  t.is(encoded.MessageGroupId, 'tenant-a');
  const plain = encodeMessage('image.job.requested', image);
  t.false('DelaySeconds' in plain || 'MessageDeduplicationId' in plain || 'MessageGroupId' in plain);
});

test('encode refuses a delay SQS would refuse', (t) => {
  t.throws(() => encodeMessage('image.job.requested', image, { delaySeconds: 901 }), {
    instanceOf: RangeError,
  });
});

test('encode refuses a payload that fails its schema, with the error paths', (t) => {
  const bad = { ...sms, phoneNumber: '4155552671' };
  const error = t.throws(() => encodeMessage('sms.requested', bad), { instanceOf: ContractViolation });
  t.is(error.reason, 'SCHEMA_VIOLATION');
  t.is(error.contract, 'sms.requested');
  t.is(error.version, 1);
  t.deepEqual(
    error.errors.map(({ path, keyword }) => ({ path, keyword })),
    [{ path: '/phoneNumber', keyword: 'pattern' }],
  );
});

test('encode validates what goes on the wire: undefined properties vanish, NaN becomes null', (t) => {
  const withUndefined = { ...image, requestedBy: undefined };
  t.notThrows(() => encodeMessage('image.job.requested', withUndefined));
  const error = t.throws(() => encodeMessage('image.job.requested', { ...image, width: Number.NaN }), {
    instanceOf: ContractViolation,
  });
  t.deepEqual(
    error.errors.map(({ path }) => path),
    ['/width'],
  );
});

test('encode refuses an unknown contract or version from untyped callers', (t) => {
  const name = 'sms.cancelled' as ContractName;
  t.is(
    t.throws(() => encodeMessage(name, sms as never), { instanceOf: ContractViolation }).reason,
    'UNKNOWN_CONTRACT',
  );
  const version = 2 as 1;
  t.is(
    t.throws(() => encodeMessage('sms.requested', sms, { version }), { instanceOf: ContractViolation })
      .reason,
    'UNSUPPORTED_VERSION',
  );
});

test('encode refuses a message over the size limit, counting attributes too', (t) => {
  const encoded = encodeMessage('image.job.requested', image);
  const exactSize = sqsMessageSizeBytes(encoded.MessageBody, encoded.MessageAttributes);
  t.true(exactSize > Buffer.byteLength(encoded.MessageBody), 'attributes count towards the size');
  t.notThrows(() => encodeMessage('image.job.requested', image, { maxMessageBytes: exactSize }));
  const error = t.throws(
    () => encodeMessage('image.job.requested', image, { maxMessageBytes: exactSize - 1 }),
    {
      instanceOf: ContractViolation,
    },
  );
  t.is(error.reason, 'MESSAGE_TOO_LARGE');
  t.true(error.message.includes(`${exactSize} bytes`));
});

test('the schema bounds keep even the largest valid image job far below the SQS limit', (t) => {
  // 32 params of 2048 control characters, each escaped by JSON to 6 bytes: the worst case.
  const params = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`p${i}`, '\u0001'.repeat(2048)]));
  const encoded = encodeMessage('image.job.requested', { ...image, params });
  const size = sqsMessageSizeBytes(encoded.MessageBody, encoded.MessageAttributes);
  t.true(size > 32 * 2048 * 6 && size < SQS_MAX_MESSAGE_BYTES / 2, `${size} bytes`);
});

test('the size check counts UTF-8 bytes of body, attribute names, types and values', (t) => {
  const attributes = { ab: { DataType: 'String', StringValue: 'é' } };
  t.is(sqsMessageSizeBytes('€', attributes), 3 + 2 + 6 + 2);
  t.is(
    sqsMessageSizeBytes('x', { b: { DataType: 'Binary', BinaryValue: new Uint8Array(10) } }),
    1 + 1 + 6 + 10,
  );
});
