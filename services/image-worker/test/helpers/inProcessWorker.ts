import { createAwsClients, type AwsClients } from '@platform/aws-resources';
import { startRequestCounter, type IsolatedAws, type RequestCounter } from '@platform/testkit';
import { createAttemptPresigner } from '@platform/reliable-consumer';
import { OutcomeSpy } from '@platform/reliable-consumer/testing';
import { createLogger, createMetrics } from '@platform/telemetry';
import type { ExecutionContext } from 'ava';
import { readImageWorkerConfig } from '../../src/config.ts';
import { createImageWorker, type ImageWorker } from '../../src/worker.ts';
import { workerEnv } from './env.ts';

export interface InProcessWorker {
  worker: ImageWorker;
  /** Every settled message: `await w.spy.waitFor({ bindings: { jobId } }, 'ack')`. */
  spy: OutcomeSpy;
  /** Every log line so far (parsed pino JSON). */
  logs: Array<Record<string, unknown>>;
  /** Every EMF document so far. */
  emf: Array<Record<string, unknown>>;
  /** Sum of a Count metric across EMF documents, optionally for one Template. */
  counted(name: string, template?: string): number;
  logged(msg: string, jobId?: string): Array<Record<string, unknown>>;
}

/**
 * The production wiring (createImageWorker) in the test's own process, with an injectable clock
 * and random source and captured logs and metrics. For behaviour that is about the handler and the
 * ledger rather than about processes (those run real children through runService).
 */
export function startInProcessWorker(
  t: ExecutionContext,
  aws: IsolatedAws,
  options: {
    env?: Record<string, string>;
    clock?: () => number;
    random?: () => number;
    start?: boolean;
    /** Clients to use instead of the isolated set's (e.g. pointed at a request counter). */
    clients?: Pick<AwsClients, 'sqs' | 's3' | 'documentClient'> & Partial<Pick<AwsClients, 'sns'>>;
  } = {},
): InProcessWorker {
  const logs: Array<Record<string, unknown>> = [];
  const emf: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'image-worker',
    level: 'debug',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const metrics = createMetrics(
    { write: (line: string) => void emf.push(JSON.parse(line) as Record<string, unknown>) },
    { namespace: 'Test', service: 'image-worker', flushIntervalMs: 0 },
  );
  const config = readImageWorkerConfig(workerEnv(aws, options.env));
  const spy = new OutcomeSpy();
  const worker = createImageWorker(
    {
      sqs: (options.clients ?? aws.clients).sqs,
      s3: (options.clients ?? aws.clients).s3,
      uploadSigner: createAttemptPresigner((options.clients ?? aws.clients).s3),
      documentClient: (options.clients ?? aws.clients).documentClient,
      sns: options.clients?.sns ?? aws.clients.sns,
      logger,
      metrics,
      onOutcome: spy.record,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.random === undefined ? {} : { random: options.random }),
    },
    { ...config, maxReceiveCount: config.maxReceiveCount ?? aws.resources.queues.imageJobs.maxReceiveCount },
  );
  t.teardown(async () => {
    await worker.stop({ timeoutMs: 2_000 });
    await worker.close();
    await metrics.close();
  });
  if (options.start !== false) worker.start();
  return {
    worker,
    spy,
    logs,
    emf,
    counted(name, template) {
      return emf
        .filter((doc) => template === undefined || doc.Template === template)
        .reduce((sum, doc) => {
          const value = doc[name];
          if (typeof value === 'number') return sum + value;
          return Array.isArray(value) ? sum + (value as number[]).reduce((a, b) => a + b, 0) : sum;
        }, 0);
    },
    logged(msg, jobId) {
      return logs.filter((line) => line.msg === msg && (jobId === undefined || line.jobId === jobId));
    },
  };
}

/** A request counter in front of the emulator's S3 (fauxqs) and clients that go through it for S3. */
export async function countedS3(
  t: ExecutionContext,
  aws: IsolatedAws,
): Promise<{ counter: RequestCounter; clients: AwsClients }> {
  // S3's refusal of a presigned attempt past its expiry, which fauxqs does not check.
  const counter = await startRequestCounter({ target: aws.endpoints.s3, enforceRequestExpiry: true });
  const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_S3: counter.endpoint });
  t.teardown(async () => {
    clients.destroy();
    await counter.close();
  });
  return { counter, clients };
}

/** S3 PUTs of one key as the counter saw them (uploads, whatever the emulator answered). */
export function putsOf(counter: RequestCounter, key: string): number {
  return counter.count({ service: 's3', method: 'PUT', key });
}
