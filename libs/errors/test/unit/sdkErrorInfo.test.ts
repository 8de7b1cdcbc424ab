import { SQSServiceException } from '@aws-sdk/client-sqs';
import test from 'ava';
import { sdkErrorInfo } from '../../src/index.ts';

test('an SDK service exception: name, status, fault and retry hint as the SDK set them', (t) => {
  // The deserializer sets $retryable after construction, as here.
  const error = Object.assign(
    new SQSServiceException({
      name: 'RequestThrottled',
      message: 'Please reduce your request rate.',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    }),
    { $retryable: { throttling: true } },
  );
  t.deepEqual(sdkErrorInfo(error), {
    name: 'RequestThrottled',
    message: 'Please reduce your request rate.',
    code: undefined,
    status: 503,
    fault: 'server',
    retryable: true,
    fromSdk: true,
  });
});

test('a network failure below HTTP: its code, no status, not an SDK answer', (t) => {
  const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  t.like(sdkErrorInfo(error), { name: 'Error', code: 'ECONNRESET', status: undefined, fromSdk: false });
});

test('fields of the wrong type read as absent, and a thrown non-object is its string', (t) => {
  t.like(sdkErrorInfo({ name: 7, $metadata: { httpStatusCode: '500' }, $fault: 'maybe', $retryable: null }), {
    name: 'Error',
    status: undefined,
    fault: undefined,
    retryable: false,
    fromSdk: true,
  });
  t.like(sdkErrorInfo('boom'), { name: 'Error', message: 'boom', fromSdk: false });
  t.like(sdkErrorInfo(null), { message: 'null', fromSdk: false });
});
