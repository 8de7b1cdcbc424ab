import test from 'ava';
import { InvalidMessageContents } from '@aws-sdk/client-sqs';
import { classifyBatchEntryFailure, classifyError, PermanentError, TransientError } from '../../src/index.ts';

function sdkError(
  name: string,
  fault: 'client' | 'server',
  status: number,
  extra: Record<string, unknown> = {},
) {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

const table: Array<[string, unknown, 'transient' | 'permanent', string]> = [
  [
    'own permanent error',
    new PermanentError('TEMPLATE_UNKNOWN', 'no such template'),
    'permanent',
    'TEMPLATE_UNKNOWN',
  ],
  ['own transient error', new TransientError('RENDER_BUSY', 'pool saturated'), 'transient', 'RENDER_BUSY'],
  ['SQS throttling', sdkError('ThrottlingException', 'client', 400), 'transient', 'ThrottlingException'],
  [
    'DynamoDB throughput',
    sdkError('ProvisionedThroughputExceededException', 'client', 400),
    'transient',
    'ProvisionedThroughputExceededException',
  ],
  ['S3 SlowDown', sdkError('SlowDown', 'server', 503), 'transient', 'SlowDown'],
  [
    'SNS internal error',
    sdkError('InternalErrorException', 'server', 500),
    'transient',
    'InternalErrorException',
  ],
  [
    'SDK retryable hint',
    sdkError('ConditionalRequestConflict', 'client', 409, { $retryable: {} }),
    'transient',
    'ConditionalRequestConflict',
  ],
  ['HTTP 429', sdkError('TooManyRequests', 'client', 429), 'transient', 'TooManyRequests'],
  [
    'SNS invalid parameter',
    sdkError('InvalidParameterException', 'client', 400),
    'permanent',
    'InvalidParameterException',
  ],
  ['access denied', sdkError('AccessDeniedException', 'client', 403), 'permanent', 'AccessDeniedException'],
  [
    'network reset',
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    'transient',
    'ECONNRESET',
  ],
  ['abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'transient', 'ABORTED'],
  ['unknown thrown value', 'a string', 'transient', 'UNKNOWN'],
];

test('SQS refusing the message content is permanent and says so, in the shape the SDK throws', (t) => {
  // What @aws-sdk/client-sqs builds from a 400 with __type com.amazonaws.sqs#InvalidMessageContents.
  const refused = new InvalidMessageContents({
    message:
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF and #xE000 to #xFFFD.',
    $metadata: { httpStatusCode: 400 },
  });
  t.deepEqual(classifyError(refused), {
    kind: 'permanent',
    code: 'InvalidMessageContents',
    message: refused.message,
    contentRefused: true,
  });
  for (const name of ['InvalidAttributeName', 'InvalidAttributeValue']) {
    t.like(classifyError(sdkError(name, 'client', 400)), { kind: 'permanent', contentRefused: true });
  }
  // The query-protocol spelling (the SDK's generic exception under the header's code) is the same.
  t.like(classifyError(sdkError('AWS.SimpleQueueService.InvalidMessageContents', 'client', 400)), {
    kind: 'permanent',
    code: 'InvalidMessageContents',
    contentRefused: true,
  });
  // Even without the SDK's metadata (a wrapped or re-thrown error), the name decides.
  t.like(classifyError(Object.assign(new Error('x'), { name: 'InvalidMessageContents' })), {
    kind: 'permanent',
    contentRefused: true,
  });
});

test('a permanent failure of the surroundings is not a refusal of the content', (t) => {
  for (const error of [
    sdkError('AccessDeniedException', 'client', 403),
    sdkError('QueueDoesNotExist', 'client', 400),
    new PermanentError('TEMPLATE_UNKNOWN', 'no such template'),
  ]) {
    const verdict = classifyError(error);
    t.is(verdict.kind, 'permanent');
    t.falsy(verdict.contentRefused, verdict.code);
  }
  t.falsy(classifyError(sdkError('ThrottlingException', 'client', 400)).contentRefused);
});

for (const [title, error, kind, code] of table) {
  test(`classifies ${title}`, (t) => {
    const verdict = classifyError(error);
    t.is(verdict.kind, kind);
    t.is(verdict.code, code);
  });
}

test('typed errors keep their cause and details', (t) => {
  const cause = new Error('root');
  const error = new PermanentError('BAD', 'bad input', { cause, details: { field: 'width' } });
  t.is(error.cause, cause);
  t.deepEqual(error.details, { field: 'width' });
  t.false(error.retryable);
  t.is(error.name, 'PermanentError');
});

test("a failed SendMessageBatch entry: content refusals are the message's, other sender faults the request's, the rest transient", (t) => {
  // As fauxqs and SQS describe an entry with U+FFFE in its body.
  t.deepEqual(
    classifyBatchEntryFailure({
      Code: 'InvalidMessageContents',
      Message: 'Invalid characters found.',
      SenderFault: true,
    }),
    {
      kind: 'permanent',
      code: 'InvalidMessageContents',
      message: 'Invalid characters found.',
      contentRefused: true,
    },
  );
  t.like(
    classifyBatchEntryFailure({ Code: 'AWS.SimpleQueueService.InvalidAttributeValue', SenderFault: true }),
    {
      kind: 'permanent',
      code: 'InvalidAttributeValue',
      contentRefused: true,
    },
  );
  const tooLong = classifyBatchEntryFailure({ Code: 'InvalidParameterValue', SenderFault: true });
  t.is(tooLong.kind, 'permanent');
  t.falsy(tooLong.contentRefused);
  t.like(classifyBatchEntryFailure({ Code: 'InternalError', SenderFault: false }), { kind: 'transient' });
  t.like(classifyBatchEntryFailure({ Code: 'RequestThrottled', SenderFault: true }), { kind: 'transient' });
  // Not the sender's fault: even a content code is not trusted to be final.
  t.like(classifyBatchEntryFailure({ Code: 'InvalidMessageContents', SenderFault: false }), {
    kind: 'transient',
  });
  t.like(classifyBatchEntryFailure({}), { kind: 'transient', code: 'UNKNOWN' });
});
