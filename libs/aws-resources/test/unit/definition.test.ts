import test from 'ava';
import { defineResources, InvalidResourceDefinition } from '../../src/index.ts';

test('names every resource under the environment prefix with the documented defaults', (t) => {
  const r = defineResources({ envName: 'prod' });
  t.deepEqual(
    Object.values(r.queues).map((q) => [q.name, q.dlqName, q.visibilityTimeoutSeconds, q.maxReceiveCount]),
    [
      ['prod-image-jobs', 'prod-image-jobs-dlq', 60, 20],
      ['prod-sms-requests', 'prod-sms-requests-dlq', 30, 15],
      ['prod-invite-events', 'prod-invite-events-dlq', 30, 10],
      ['prod-sms-events', 'prod-sms-events-dlq', 30, 5],
      ['prod-image-job-events', 'prod-image-job-events-dlq', 30, 10],
    ],
  );
  t.deepEqual(r.topics.imageJobEvents, {
    key: 'imageJobEvents',
    name: 'prod-image-job-events',
    subscriptions: ['imageJobEvents'],
    publisherServices: [],
  });
  t.deepEqual(
    r.tables.imageJobs.globalSecondaryIndexes.map((g) => g.name),
    ['byAttentionStatus'],
  );
  t.deepEqual(
    Object.values(r.tables).map((tb) => tb.name),
    ['prod-image-jobs', 'prod-invitations', 'prod-sms-messages', 'prod-sms-directory'],
  );
  t.deepEqual(r.topics.smsEvents, {
    key: 'smsEvents',
    name: 'prod-sms-events',
    subscriptions: ['smsEvents'],
    publisherServices: ['sms-voice.amazonaws.com'],
  });
  t.is(r.tables.invitations.globalSecondaryIndexes[0]?.name, 'gsi1');
  t.is(r.tables.imageJobs.ttlAttribute, 'expiresAt');
  t.is(r.queues.imageJobs.dlqMessageRetentionSeconds, 1_209_600);
  t.is(r.bucket.name, 'prod-generated-assets');
  t.false(r.bucket.versioning);
});

test('queue overrides apply to one queue only', (t) => {
  const r = defineResources({
    envName: 'dev',
    overrides: { queues: { imageJobs: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } } },
  });
  t.is(r.queues.imageJobs.visibilityTimeoutSeconds, 2);
  t.is(r.queues.imageJobs.maxReceiveCount, 3);
  t.is(r.queues.smsRequests.visibilityTimeoutSeconds, 30);
});

test('bucket names can be replaced or suffixed because they are global', (t) => {
  t.is(
    defineResources({ envName: 'prod', overrides: { bucketSuffix: '123456789012' } }).bucket.name,
    'prod-generated-assets-123456789012',
  );
  t.is(
    defineResources({ envName: 'prod', overrides: { bucketName: 'acme-assets' } }).bucket.name,
    'acme-assets',
  );
});

test('invalid names and limits are refused with the rule and the value', (t) => {
  t.throws(() => defineResources({ envName: 'Prod_1' }), {
    instanceOf: InvalidResourceDefinition,
    message: /envName .* "Prod_1"/,
  });
  t.throws(
    () => defineResources({ envName: 'dev', overrides: { queues: { smsRequests: { maxReceiveCount: 0 } } } }),
    { message: /queue smsRequests: maxReceiveCount must be an integer 1-1000, received 0/ },
  );
  t.throws(() => defineResources({ envName: 'dev', overrides: { bucketName: 'A' } }), {
    message: /bucket name/,
  });
});
