import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createAwsClients } from '@platform/aws-resources';
import {
  startRequestCounter,
  useIsolatedAws,
  type IsolatedAws,
  type RequestCounter,
} from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import {
  createAttemptPresigner,
  MIN_SIGNED_WINDOW_MS,
  ObjectConflictError,
  putObjectOnce,
} from '../../src/index.ts';

/**
 * S3 through the testkit's request counter, so PUTs can be counted and a 412/409 injected.
 * fauxqs does not enforce If-None-Match, so the 412 real S3 would answer for an existing key is
 * simulated by the fault injector at that one boundary; the code under test is unchanged.
 */
async function setup(
  t: ExecutionContext,
  semantics: { enforceRequestExpiry?: boolean; enforceIfNoneMatch?: boolean } = {},
): Promise<{ aws: IsolatedAws; s3: S3Client; counter: RequestCounter }> {
  const aws = await useIsolatedAws(t);
  const counter = await startRequestCounter({ target: aws.endpoints.s3, ...semantics });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_S3: counter.endpoint });
  const { s3 } = clients;
  t.teardown(async () => {
    clients.destroy();
    await counter.close();
  });
  return { aws, s3, counter };
}

const body = (text: string) => new TextEncoder().encode(text);

/** The input of every PutObject the client sends, as the SDK received it. */
function capturePutInputs(s3: S3Client): Array<Record<string, unknown>> {
  const sent: Array<Record<string, unknown>> = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutObjectCommand') sent.push(args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'capturePutInput' },
  );
  return sent;
}

test('uploads with If-None-Match and a SHA-256 checksum, storing sha256 metadata', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const sent = capturePutInputs(s3);
  const Key = `generated/${randomUUID()}.png`;
  const result = await putObjectOnce(s3, {
    Bucket: aws.bucket,
    Key,
    Body: body('pixels'),
    ContentType: 'image/png',
    Metadata: { 'job-id': 'j1' },
  });
  t.is(result.kind, 'uploaded');
  t.is(result.bytes, 6);
  t.is(result.sha256, createHash('sha256').update('pixels').digest('hex'));
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key }), 1);
  t.like(sent[0], {
    IfNoneMatch: '*',
    ChecksumAlgorithm: 'SHA256',
    ChecksumSHA256: createHash('sha256').update('pixels').digest('base64'),
  });
  const head = await s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key }));
  t.is(head.Metadata?.sha256, result.sha256);
  t.is(head.Metadata?.['job-id'], 'j1');
  t.is(head.ContentType, 'image/png');
  const stored = await s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }));
  t.is(await stored.Body?.transformToString(), 'pixels');
});

test('a hash the caller already has is used as is (S3 verifies it on arrival); a malformed one is recomputed', async (t) => {
  const { aws, s3 } = await setup(t);
  const sent = capturePutInputs(s3);
  // Not the body's hash: proves the given value is what goes on the wire, not a second digest.
  // (Real S3 would refuse this PUT with BadDigest; fauxqs does not verify checksums.)
  const given = createHash('sha256').update('something else').digest();
  const result = await putObjectOnce(
    s3,
    {
      Bucket: aws.bucket,
      Key: `generated/${randomUUID()}.png`,
      Body: body('pixels'),
      ContentType: 'image/png',
    },
    { sha256: given.toString('hex') },
  );
  t.is(result.sha256, given.toString('hex'));
  t.like(sent[0], { ChecksumSHA256: given.toString('base64'), Metadata: { sha256: given.toString('hex') } });

  const recomputed = await putObjectOnce(
    s3,
    {
      Bucket: aws.bucket,
      Key: `generated/${randomUUID()}.png`,
      Body: body('pixels'),
      ContentType: 'image/png',
    },
    { sha256: 'NOT-A-HASH' },
  );
  t.is(recomputed.sha256, createHash('sha256').update('pixels').digest('hex'));
});

test('412 on an object with the same bytes is success: already-present, nothing overwritten', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const Key = `generated/${randomUUID()}.png`;
  const input = { Bucket: aws.bucket, Key, Body: body('same bytes'), ContentType: 'image/png' };
  const first = await putObjectOnce(s3, input);
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, status: 412, times: 1 });
  const second = await putObjectOnce(s3, input);
  t.is(second.kind, 'already-present');
  t.is(second.sha256, first.sha256);
  t.is(counter.count({ service: 's3', method: 'HEAD', key: Key }), 1);
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key, injected: false }), 1, 'one real upload');
});

test('412 on an object with different bytes is a loud, permanent ObjectConflictError', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const Key = `generated/${randomUUID()}.png`;
  await putObjectOnce(s3, { Bucket: aws.bucket, Key, Body: body('version one'), ContentType: 'image/png' });
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, status: 412, times: 1 });
  const error = await t.throwsAsync(
    putObjectOnce(s3, { Bucket: aws.bucket, Key, Body: body('version two'), ContentType: 'image/png' }),
    { instanceOf: ObjectConflictError },
  );
  t.false(error?.retryable);
  t.not(error?.storedSha256, error?.expectedSha256);
  const stored = await s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key }));
  t.is(await stored.Body?.transformToString(), 'version one', 'the existing object is untouched');
});

test('409 ConditionalRequestConflict is retried with backoff', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const Key = `generated/${randomUUID()}.png`;
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, status: 409, times: 2 });
  const result = await putObjectOnce(
    s3,
    { Bucket: aws.bucket, Key, Body: body('x'), ContentType: 'image/png' },
    { retries: 3, retryBaseMs: 5 },
  );
  t.is(result.kind, 'uploaded');
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key }), 3);
});

test('409 past the retry budget is thrown', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const Key = `generated/${randomUUID()}.png`;
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, status: 409 });
  await t.throwsAsync(
    putObjectOnce(
      s3,
      { Bucket: aws.bucket, Key, Body: body('x'), ContentType: 'image/png' },
      { retries: 1, retryBaseMs: 1 },
    ),
  );
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key }), 2);
});

test('headFirst: an object already there is compared without re-sending the bytes; a missing one is uploaded', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const input = (Key: string, text: string) => ({
    Bucket: aws.bucket,
    Key,
    Body: body(text),
    ContentType: 'image/png',
  });
  const missing = `generated/${randomUUID()}.png`;
  t.is((await putObjectOnce(s3, input(missing, 'first'), { headFirst: true })).kind, 'uploaded');

  const same = `generated/${randomUUID()}.png`;
  await putObjectOnce(s3, input(same, 'pixels'));
  const again = await putObjectOnce(s3, input(same, 'pixels'), { headFirst: true });
  t.is(again.kind, 'already-present');
  t.is(counter.count({ service: 's3', method: 'PUT', key: same }), 1, 'no second PUT');

  const error = await t.throwsAsync(putObjectOnce(s3, input(same, 'other pixels'), { headFirst: true }), {
    instanceOf: ObjectConflictError,
  });
  t.is(error.storedSha256, createHash('sha256').update('pixels').digest('hex'));
  t.is(counter.count({ service: 's3', method: 'PUT', key: same }), 1, 'a conflict is never overwritten');
});

test('beforeEachAttempt runs before every attempt the SDK sends, so a lease check stops its retry', async (t) => {
  const { aws, s3, counter } = await setup(t);
  const Key = `generated/${randomUUID()}.png`;
  // The first PUT gets a 503, so the SDK retries on its own; by then the (simulated) lease is over.
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, status: 503, times: 1 });
  let checks = 0;
  const leaseOver = new Error('lease over before the upload');
  const error = await t.throwsAsync(
    putObjectOnce(
      s3,
      { Bucket: aws.bucket, Key, Body: body('pixels'), ContentType: 'image/png' },
      {
        beforeEachAttempt: () => {
          checks += 1;
          if (checks > 1) throw leaseOver;
        },
      },
    ),
  );
  t.is(error, leaseOver);
  t.is(checks, 2);
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key }), 1, 'the retry never left the process');
  await t.throwsAsync(s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key })));
});

/** S3's own fences, held by the proxy as S3 holds them (fauxqs checks neither). */
const asS3 = { enforceRequestExpiry: true, enforceIfNoneMatch: true };

test('acceptedWithin: every attempt is presigned to expire within the time left, and S3 stores it as usual', async (t) => {
  const { aws, s3, counter } = await setup(t, asS3);
  const Key = `generated/${randomUUID()}.png`;
  const signedAt = Date.now();
  const put = await putObjectOnce(
    s3,
    {
      Bucket: aws.bucket,
      Key,
      Body: body('pixels'),
      ContentType: 'image/png',
      Metadata: { 'job-id': 'j-1' },
    },
    { acceptedWithin: { presigner: createAttemptPresigner(s3), remainingMs: () => 4_500 } },
  );
  t.is(put.kind, 'uploaded');
  const [request] = counter.requests({ service: 's3', method: 'PUT', key: Key });
  const query = new URLSearchParams(request?.query ?? '');
  const expiresIn = Number(query.get('X-Amz-Expires'));
  // X-Amz-Date is truncated to the second, so up to ceil(4.5) whole seconds after it.
  t.true(expiresIn >= 1 && expiresIn <= 5, `X-Amz-Expires ${expiresIn}`);
  t.truthy(query.get('X-Amz-Signature'), 'signed in the query string');
  t.truthy(query.get('X-Amz-Date'));
  const signingDate = (query.get('X-Amz-Date') ?? '').replace(
    /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
    '$1-$2-$3T$4:$5:$6Z',
  );
  const expiresAt = Date.parse(signingDate) + expiresIn * 1000;
  t.true(expiresAt <= signedAt + 4_500 + 50, 'never valid past the time it was given');
  // The headers stayed headers: the checksum and metadata reached S3 and were stored.
  const head = await s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key, ChecksumMode: 'ENABLED' }));
  t.is(head.Metadata?.sha256, put.sha256);
  t.is(head.Metadata?.['job-id'], 'j-1');
  t.is(head.ContentType, 'image/png');
});

test('an attempt that reaches S3 after its expiry takes no effect, and is signed again only if the lease check passes', async (t) => {
  const { aws, s3, counter } = await setup(t, asS3);
  const Key = `generated/${randomUUID()}.png`;
  // 2.2 s of network latency on the first PUT, longer than the 1.5 s it was signed for.
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, delayMs: 2_200, times: 1 });
  let checks = 0;
  const leaseOver = new Error('lease over');
  const error = await t.throwsAsync(
    putObjectOnce(
      s3,
      { Bucket: aws.bucket, Key, Body: body('late pixels'), ContentType: 'image/png' },
      {
        beforeEachAttempt: () => {
          checks += 1;
          if (checks > 1) throw leaseOver;
        },
        acceptedWithin: { presigner: createAttemptPresigner(s3), remainingMs: () => 1_500 },
      },
    ),
  );
  t.is(error, leaseOver, 'the refusal led to a second lease check, which stopped it');
  const puts = counter.requests({ service: 's3', method: 'PUT', key: Key });
  t.is(puts.length, 1, 'no attempt after the failed check');
  t.is(puts[0]?.status, 403);
  t.true(puts[0]?.expired);
  t.is(counter.successfulPuts().size, 0);
  await t.throwsAsync(
    s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key })),
    undefined,
    'nothing stored',
  );
});

test('while the lease still holds, an attempt refused as expired is re-signed and the object stored once', async (t) => {
  const { aws, s3, counter } = await setup(t, asS3);
  const Key = `generated/${randomUUID()}.png`;
  counter.addFault({ match: { service: 's3', method: 'PUT', key: Key }, delayMs: 2_200, times: 1 });
  let checks = 0;
  const put = await putObjectOnce(
    s3,
    { Bucket: aws.bucket, Key, Body: body('slow pixels'), ContentType: 'image/png' },
    {
      beforeEachAttempt: () => void (checks += 1),
      acceptedWithin: { presigner: createAttemptPresigner(s3), remainingMs: () => 1_500 },
    },
  );
  t.is(put.kind, 'uploaded');
  t.is(checks, 2);
  t.deepEqual(
    counter.requests({ service: 's3', method: 'PUT', key: Key }).map((r) => [r.status, r.expired === true]),
    [
      [403, true],
      [200, false],
    ],
  );
  t.is(counter.successfulPuts().get(`${aws.bucket}/${Key}`), 1);
});

test('acceptedWithin with less than a whole second left refuses to send at all', async (t) => {
  const { aws, s3, counter } = await setup(t, asS3);
  const Key = `generated/${randomUUID()}.png`;
  const error = await t.throwsAsync(
    putObjectOnce(
      s3,
      { Bucket: aws.bucket, Key, Body: body('pixels'), ContentType: 'image/png' },
      { acceptedWithin: { presigner: createAttemptPresigner(s3), remainingMs: () => -1 } },
    ),
  );
  t.regex(error.message, new RegExp(`must require ${MIN_SIGNED_WINDOW_MS} ms`));
  t.is(counter.count({ service: 's3', method: 'PUT', key: Key }), 0);
});
