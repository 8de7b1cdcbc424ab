// SIGTERM at any moment of start-up ends every service with exit 0, never death by the signal: the
// instant the preload's handlers exist (its debug line), at random points after that, at each
// start-up phase's debug line (OTel preload loaded, configuration read, the service's own start()
// begun: image-worker then reads its queue's RedrivePolicy), and right after it is up. Before the preload runs, Node itself is still starting
// (some tens of milliseconds, no JavaScript yet) and its own handler ends the process by the
// signal: nothing in JavaScript can change that, so the test starts at the preload's first line.
import { runService, useIsolatedAws, type IsolatedAws, type RunningService } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { workerEnv } from '../../services/image-worker/test/helpers/env.ts';
import { baseTestEnv } from '../../services/invite-api/test/helpers/harness.ts';
import { senderEnv, tempOutboxDir, TEST_QUEUES } from '../../services/sms-sender/test/helpers/smsSender.ts';

interface ServiceUnderTest {
  name: string;
  entry: string;
  ready: string;
  env(t: ExecutionContext, aws: IsolatedAws): Promise<Record<string, string>>;
  queues: Parameters<typeof useIsolatedAws>[1];
}

const SERVICES: ServiceUnderTest[] = [
  {
    name: 'image-worker',
    entry: 'services/image-worker/src/main.ts',
    ready: 'image worker started',
    // MAX_RECEIVE_COUNT 0: start-up reads the queue's RedrivePolicy, a network call to interrupt.
    env: async (_t, aws) => workerEnv(aws, { MAX_RECEIVE_COUNT: '0', METRICS_SINK: 'cloudwatch' }),
    queues: { queues: { imageJobs: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } } },
  },
  {
    name: 'invite-api',
    entry: 'services/invite-api/src/main.ts',
    ready: 'invite-api listening',
    env: async (_t, aws) => ({ ...baseTestEnv(aws), PORT: '0', METRICS_SINK: 'cloudwatch' }),
    queues: { queues: { inviteEvents: { visibilityTimeoutSeconds: 2 } } },
  },
  {
    name: 'sms-sender',
    entry: 'services/sms-sender/src/main.ts',
    ready: 'sms-sender started',
    env: async (t, aws) => ({ ...senderEnv(aws, await tempOutboxDir(t)), METRICS_SINK: 'cloudwatch' }),
    queues: { queues: TEST_QUEUES },
  },
];

type Moment = { label: string; before: (service: RunningService) => Promise<void> };

function moments(ready: string): Moment[] {
  const whenHandled = async (service: RunningService) =>
    void (await service.waitForLog((line) => line.json?.msg === 'signal handlers installed', 60_000));
  const random = Array.from({ length: 3 }, () => Math.floor(Math.random() * 1500));
  return [
    { label: 'the instant its handler exists', before: whenHandled },
    ...random.map((delayMs) => ({
      label: `${delayMs} ms after that (random)`,
      before: async (service: RunningService) => {
        await whenHandled(service);
        // The moment of the fault, chosen at random; nothing waits on it.
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      },
    })),
    // Each start-up phase's debug line: main.ts's imports loading, the bootstrap building the
    // logger and clients, the service's own start() (image-worker reads its RedrivePolicy there).
    ...['telemetry preload loaded', 'configuration read', 'starting'].map((phase) => ({
      label: `at "${phase}"`,
      before: async (service: RunningService) =>
        void (await service.waitForLog((line) => line.json?.msg === phase, 60_000)),
    })),
    {
      label: 'right after it is up',
      before: async (service: RunningService) =>
        void (await service.waitForLog((l) => l.json?.msg === ready, 60_000)),
    },
  ];
}

for (const under of SERVICES) {
  test(`${under.name}: SIGTERM at any moment of start-up exits 0`, async (t) => {
    const aws = await useIsolatedAws(t, under.queues);
    const env = await under.env(t, aws);
    for (const moment of moments(under.ready)) {
      const service = runService(t, {
        name: under.name,
        entry: under.entry,
        env: { ...env, LOG_LEVEL: 'debug' },
      });
      await moment.before(service);
      const last = service.logs().at(-1)?.json?.msg;
      const exit = await service.kill('SIGTERM');
      t.log(`${under.name}: SIGTERM ${moment.label}, last line before it: ${String(last)}`);
      t.deepEqual(exit, { code: 0, signal: null }, `${moment.label}:\n${service.tail(15)}`);
      const stderr = service
        .logs()
        .filter((line) => line.stream === 'stderr' && !line.text.includes('signal during start-up'));
      t.deepEqual(
        stderr.map((line) => line.text),
        [],
        `${moment.label}: nothing on stderr`,
      );
    }
  });
}
