import { ConfigError } from '@platform/errors';
import test from 'ava';
import { readImageWorkerConfig } from '../../src/config.ts';

const base = {
  IMAGE_JOBS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/dev-image-jobs',
  IMAGE_JOBS_DLQ_URL: 'http://127.0.0.1:4566/000000000000/dev-image-jobs-dlq',
  IMAGE_JOBS_TABLE: 'dev-image-jobs',
  ASSETS_BUCKET: 'dev-generated-assets',
};

test('defaults give a working production configuration', (t) => {
  const config = readImageWorkerConfig(base);
  t.like(config, {
    concurrency: 4,
    renderThreads: 2,
    visibilityTimeoutSeconds: 60,
    heartbeatIntervalSeconds: 20,
    leaseDurationMs: 60_000,
    maxReceiveCount: undefined,
  });
  t.like(config.limits, { maxWidth: 4096, maxHeight: 4096 });
});

test('every bad variable is named at once, with the rule and the value received', (t) => {
  const { ASSETS_BUCKET: _missing, ...withoutBucket } = base;
  const error = t.throws(
    () => readImageWorkerConfig({ ...withoutBucket, RENDER_THREADS: '0', WORKER_CONCURRENCY: 'many' }),
    { instanceOf: ConfigError },
  );
  t.is(error.problems.length, 3);
  t.true(error.problems.includes('ASSETS_BUCKET: required, but it is not set'));
  t.true(
    error.problems.some((p) => p.startsWith('WORKER_CONCURRENCY: must be an integer between 1 and 1000')),
  );
  t.true(error.problems.some((p) => p.startsWith('RENDER_THREADS: must be an integer between 1 and 64')));
});

test('timings that would let a message or a lease lapse between heartbeats are refused', (t) => {
  const error = t.throws(
    () =>
      readImageWorkerConfig({
        ...base,
        VISIBILITY_TIMEOUT_SECONDS: '10',
        HEARTBEAT_INTERVAL_SECONDS: '10',
        LEASE_DURATION_MS: '5000',
      }),
    { instanceOf: ConfigError },
  );
  t.is(error.problems.length, 2);
  t.regex(error.problems[0] ?? '', /HEARTBEAT_INTERVAL_SECONDS: must be below VISIBILITY_TIMEOUT_SECONDS/);
  t.regex(error.problems[1] ?? '', /LEASE_DURATION_MS: must exceed/);
});

test('an empty bucket or table name is refused', (t) => {
  const error = t.throws(() => readImageWorkerConfig({ ...base, ASSETS_BUCKET: ' ' }), {
    instanceOf: ConfigError,
  });
  t.deepEqual(error.problems, ['ASSETS_BUCKET: required, but it is empty']);
});
