import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeMessage, IMAGE_JOB_REQUESTED_V1_EXAMPLES } from '@platform/contracts';
import { createLogger, type LogLevel } from '@platform/telemetry';
import { useIsolatedAws, type IsolatedAws } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import {
  createReliableConsumer,
  type ConsumerLogger,
  type OutcomeEvent,
  type ReliableConsumer,
  type ReliableConsumerDeps,
  type ReliableConsumerOptions,
} from '../../src/index.ts';

// The telemetry logger is the production one; assigning it here proves it fits the lib's logger port.
export const logger: ConsumerLogger = createLogger({
  service: 'reliable-consumer-test',
  level: (process.env.TEST_LOG_LEVEL ?? 'silent') as LogLevel,
});

export interface QueueSetup {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

/** This test's own queue + DLQ (the image-jobs pair, with test-sized visibility and redrive). */
export async function useQueues(t: ExecutionContext, setup: QueueSetup = {}): Promise<IsolatedAws> {
  return useIsolatedAws(t, {
    queues: {
      imageJobs: {
        visibilityTimeoutSeconds: setup.visibilityTimeoutSeconds ?? 30,
        maxReceiveCount: setup.maxReceiveCount ?? 5,
      },
    },
  });
}

export function jobPayload(jobId: string = randomUUID()) {
  return { ...IMAGE_JOB_REQUESTED_V1_EXAMPLES[0]!, jobId };
}

export async function sendJob(
  sqs: SQSClient,
  queueUrl: string,
  jobId: string = randomUUID(),
): Promise<string> {
  const encoded = encodeMessage('image.job.requested', jobPayload(jobId));
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...encoded }));
  return sent.MessageId ?? '';
}

/** A consumer with test-sized defaults; its outcomes are collected, and it is stopped at teardown. */
export function startConsumer(
  t: ExecutionContext,
  aws: IsolatedAws,
  options: Partial<ReliableConsumerOptions<'image.job.requested'>> &
    Pick<ReliableConsumerOptions<'image.job.requested'>, 'handler'>,
  deps: Partial<ReliableConsumerDeps> = {},
): { consumer: ReliableConsumer; outcomes: OutcomeEvent[] } {
  const outcomes: OutcomeEvent[] = [];
  const consumer = createReliableConsumer(
    { sqs: aws.clients.sqs, logger, ...deps },
    {
      queueUrl: aws.urls.imageJobs,
      dlqUrl: aws.urls.imageJobsDlq,
      name: 'test-consumer',
      contracts: ['image.job.requested'],
      concurrency: 4,
      batchSize: 10,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      heartbeatIntervalSeconds: 10,
      backoff: { baseSeconds: 1, maxSeconds: 4 },
      shutdownTimeoutMs: 5_000,
      onOutcome: (event) => outcomes.push(event),
      ...options,
    },
  );
  consumer.start();
  t.teardown(() => consumer.stop({ timeoutMs: 0 }));
  return { consumer, outcomes };
}

/** One raw receive, all attributes, no long wait: what another worker would get right now. */
export async function receiveNow(sqs: SQSClient, queueUrl: string, max = 10): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  return Messages;
}

/** A promise the test resolves by hand: how a handler is held "in flight" without sleeping. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
