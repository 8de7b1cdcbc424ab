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
  asciiJson,
  labelSqsRefusedCharacters,
  removeSqsRefusedCharacters,
  sqsRefusedCharacter,
  type ContractName,
} from '@platform/contracts';
import { classifyError } from '@platform/errors';

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

test('the schema bounds keep even the largest valid image job below the SQS limit', (t) => {
  // 32 params of 2048 characters above U+FFFF: each is two \uXXXX escapes in the ASCII body (12
  // bytes), the worst case (ajv counts code points, so 2048 of them pass maxLength).
  const params = Object.fromEntries(
    Array.from({ length: 32 }, (_, i) => [`p${i}`, '\u{1F600}'.repeat(2048)]),
  );
  const encoded = encodeMessage('image.job.requested', { ...image, params });
  const size = sqsMessageSizeBytes(encoded.MessageBody, encoded.MessageAttributes);
  t.true(size > 32 * 2048 * 12 && size < SQS_MAX_MESSAGE_BYTES, `${size} bytes`);
});

const withName = (inviterName: string) => ({ ...sms, inviterName });

test('the body is ASCII-only JSON that parses back to the exact payload (emoji, ZWJ sequences, accents)', (t) => {
  for (const name of [
    'Zoë 😀',
    '👨\u200D👩\u200D👧\u200D👦 family',
    'Ærøskøbing ☕',
    '名前',
    '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}',
  ]) {
    const encoded = encodeMessage('sms.requested', withName(name));
    t.regex(encoded.MessageBody, /^[\x20-\x7e]*$/, `${name}: printable ASCII only`);
    t.is((JSON.parse(encoded.MessageBody) as { inviterName: string }).inviterName, name);
    t.is(sqsRefusedCharacter(encoded.MessageBody), undefined);
  }
  t.true(encodeMessage('sms.requested', withName('😀')).MessageBody.includes('\\ud83d\\ude00'));
});

test('encode refuses characters SQS refuses, naming the field and the code point, never the value', (t) => {
  const cases: Array<[string, string]> = [
    ['Ada\uFFFE', 'U+FFFE'],
    ['Ada\uFFFF', 'U+FFFF'],
    ['Ada\uD83D', 'U+D83D'], // a lone high surrogate
    ['\uDE00Ada', 'U+DE00'], // a lone low surrogate
    ['Ada\u0000', 'U+0000'],
    ['Ada\u001B[31m', 'U+001B'],
  ];
  for (const [name, label] of cases) {
    const error = t.throws(() => encodeMessage('sms.requested', withName(name)), {
      instanceOf: ContractViolation,
    });
    t.is(error.reason, 'INVALID_CHARACTERS');
    t.is(classifyError(error).kind, 'permanent', 'never retried');
    t.deepEqual(error.errors, [
      {
        path: '/inviterName',
        keyword: 'sqsCharacters',
        message: `contains ${label}, which SQS does not accept`,
      },
    ]);
    t.false(error.message.includes('Ada'));
  }
});

test('encode checks nested values, each reported', (t) => {
  const error = t.throws(
    () =>
      encodeMessage('image.job.requested', { ...image, params: { title: 'ok\uFFFF', subtitle: 'x\uFFFE' } }),
    { instanceOf: ContractViolation },
  );
  t.deepEqual(
    error.errors.map(({ path }) => path),
    ['/params/title', '/params/subtitle'],
  );
});

test('tab, newline and carriage return are allowed, as SQS allows them', (t) => {
  t.notThrows(() => encodeMessage('image.job.requested', { ...image, params: { text: 'a\tb\nc\rd' } }));
});

test('the character set: what SQS accepts and refuses, labelled for logs', (t) => {
  t.is(sqsRefusedCharacter('a\t\n\r \uD7FF\uE000\uFFFD\u{10000}\u{10FFFF}😀'), undefined);
  t.is(sqsRefusedCharacter('\u0008'), 'U+0008');
  t.is(sqsRefusedCharacter('\uDFFF'), 'U+DFFF');
  t.is(removeSqsRefusedCharacters('a\uFFFEb\uD800c'), 'abc');
  t.is(labelSqsRefusedCharacters('k\uFFFE'), 'k<U+FFFE>');
  t.is(asciiJson(JSON.stringify({ a: 'é😀\u007f' })), '{"a":"\\u00e9\\ud83d\\ude00\\u007f"}');
});
