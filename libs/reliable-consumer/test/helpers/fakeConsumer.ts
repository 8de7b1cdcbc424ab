// The consumer options the in-memory SQS tests share (test/unit): two slots, short polls, a backoff
// of at most one second, outcomes recorded by the spy. Tests add the handler and what they vary.
import type { ReliableConsumerOptions } from '../../src/index.ts';
import type { OutcomeSpy } from '../../src/testing/index.ts';

export const QUEUE = 'fake://image-jobs';
export const DLQ = 'fake://image-jobs-dlq';

export function fakeQueueOptions(
  spy: OutcomeSpy,
): Omit<ReliableConsumerOptions<'image.job.requested'>, 'handler'> {
  return {
    queueUrl: QUEUE,
    dlqUrl: DLQ,
    name: 'fake',
    contracts: ['image.job.requested'],
    concurrency: 2,
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 30,
    heartbeatIntervalSeconds: 10,
    backoff: { baseSeconds: 1, maxSeconds: 1 },
    shutdownTimeoutMs: 1_000,
    logBindings: ({ payload }) => ({ jobId: payload.jobId }),
    onOutcome: spy.record,
  };
}
