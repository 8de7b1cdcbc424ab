// The consumer settings of a service whose consumer runs beside its main job (invite-api):
// prefixed names, the same bounds and the same cross-checks as consumerConfigSpec.
import test from 'ava';
import { readPrefixedConsumerSettings } from '../../src/index.ts';

const DEFAULTS = {
  concurrency: 10,
  visibilityTimeoutSeconds: 30,
  heartbeatIntervalSeconds: 10,
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 60,
};

test('defaults, and every prefixed variable read', (t) => {
  const problems: string[] = [];
  t.deepEqual(readPrefixedConsumerSettings({}, 'EV_', DEFAULTS, problems), {
    concurrency: 10,
    batchSize: 10,
    waitTimeSeconds: 20,
    visibilityTimeoutSeconds: 30,
    heartbeatIntervalSeconds: 10,
    backoff: { baseSeconds: 1, maxSeconds: 60 },
  });
  const env = {
    EV_CONCURRENCY: '3',
    EV_BATCH_SIZE: '5',
    EV_WAIT_SECONDS: '1',
    EV_VISIBILITY_TIMEOUT_SECONDS: '12',
    EV_HEARTBEAT_INTERVAL_SECONDS: '4',
    EV_BACKOFF_BASE_SECONDS: '2',
    EV_BACKOFF_MAX_SECONDS: '8',
  };
  t.like(readPrefixedConsumerSettings(env, 'EV_', DEFAULTS, problems), {
    concurrency: 3,
    batchSize: 5,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 12,
    heartbeatIntervalSeconds: 4,
    backoff: { baseSeconds: 2, maxSeconds: 8 },
  });
  t.deepEqual(problems, []);
});

test('bad values and broken relations are all named, with the prefix', (t) => {
  const problems: string[] = [];
  readPrefixedConsumerSettings(
    { EV_BATCH_SIZE: '11', EV_HEARTBEAT_INTERVAL_SECONDS: '30', EV_BACKOFF_BASE_SECONDS: '90' },
    'EV_',
    DEFAULTS,
    problems,
  );
  const text = problems.join('\n');
  t.regex(text, /EV_BATCH_SIZE: must be an integer between 1 and 10/);
  t.regex(text, /EV_HEARTBEAT_INTERVAL_SECONDS: must be below EV_VISIBILITY_TIMEOUT_SECONDS/);
  t.regex(text, /EV_BACKOFF_BASE_SECONDS: must not exceed EV_BACKOFF_MAX_SECONDS/);
});
