import test from 'ava';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  ContractViolation,
  MAX_OWN_ATTRIBUTES,
  SMS_REQUESTED_V1_EXAMPLES,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  TRACE_ATTRIBUTE_NAMES,
  deadLetterAttributes,
  deadLetterReasonOf,
  decodeMessage,
  encodeMessage,
} from '@platform/contracts';

function stringValue(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function violationOf(action: () => unknown): ContractViolation {
  try {
    action();
  } catch (error) {
    if (error instanceof ContractViolation) return error;
    throw error;
  }
  throw new Error('expected a ContractViolation');
}

const encoded = encodeMessage('sms.requested', SMS_REQUESTED_V1_EXAMPLES[0]!);
const schemaViolation = violationOf(() =>
  decodeMessage({
    Body: JSON.stringify({ ...SMS_REQUESTED_V1_EXAMPLES[0], phoneNumber: '555', inviteCode: 'x' }),
    MessageAttributes: encoded.MessageAttributes,
  }),
);

test('a schema violation becomes a reason and a detail naming the paths', (t) => {
  const { reason, detail } = deadLetterReasonOf(schemaViolation);
  t.is(reason, 'SCHEMA_VIOLATION');
  t.true(detail?.startsWith('sms.requested v1: '));
  t.true(detail?.includes('/phoneNumber pattern'));
  t.true(detail?.includes('/inviteCode pattern'));
  t.false(detail?.includes('555'), 'the rejected value itself stays out');
});

test('dead-letter attributes keep the envelope and add dlq-reason and dlq-detail', (t) => {
  const attributes = deadLetterAttributes(schemaViolation, encoded.MessageAttributes);
  t.deepEqual(Object.keys(attributes).sort(), [
    'content-type',
    'contract',
    'contract-version',
    'dlq-detail',
    'dlq-reason',
  ]);
  t.is(attributes['dlq-reason']?.StringValue, 'SCHEMA_VIOLATION');
  const own = Object.keys(attributes).filter(
    (name) => !(TRACE_ATTRIBUTE_NAMES as readonly string[]).includes(name),
  );
  t.true(own.length <= MAX_OWN_ATTRIBUTES);
});

test('dead-letter attributes never exceed the SQS attribute count, dropping foreign ones first', (t) => {
  const original: Record<string, MessageAttributeValue> = {
    ...encoded.MessageAttributes,
    traceparent: stringValue('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    tracestate: stringValue('vendor=1'),
    baggage: stringValue('tenant=a'),
    'x-one': stringValue('1'),
    'x-two': stringValue('2'),
    'x-three': stringValue('3'),
  };
  const attributes = deadLetterAttributes(schemaViolation, original);
  t.is(Object.keys(attributes).length, SQS_MAX_MESSAGE_ATTRIBUTES);
  for (const kept of [
    'contract',
    'contract-version',
    'content-type',
    'traceparent',
    'tracestate',
    'baggage',
  ]) {
    t.deepEqual(attributes[kept], original[kept], kept);
  }
  t.is(['x-one', 'x-two', 'x-three'].filter((name) => name in attributes).length, 2);
});

test('dead-letter attributes replace a stale reason and leave out an empty detail', (t) => {
  const attributes = deadLetterAttributes(
    { reason: 'TEMPLATE_UNKNOWN', detail: '' },
    { 'dlq-reason': stringValue('OLD'), 'dlq-detail': stringValue('old detail') },
  );
  t.deepEqual(attributes, { 'dlq-reason': stringValue('TEMPLATE_UNKNOWN') });
});

test('a long detail is truncated so the DLQ message stays small', (t) => {
  const attributes = deadLetterAttributes({ reason: 'X', detail: 'd'.repeat(10_000) });
  const detail = attributes['dlq-detail']?.StringValue ?? '';
  t.is(detail.length, 1024);
  t.true(detail.endsWith('…'));
});

test('violations without a contract fall back to their message', (t) => {
  const missing = violationOf(() => decodeMessage({ Body: '{}' }));
  t.deepEqual(deadLetterReasonOf(missing), {
    reason: 'MISSING_ATTRIBUTE',
    detail: '/MessageAttributes/contract required: must have attribute contract',
  });
});
