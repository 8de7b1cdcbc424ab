import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { createAwsClients, defineResources, type AwsClients } from '@platform/aws-resources';
import type { ImageJobsDeps, ImageJobsTarget } from '@platform/image-jobs';
import { createLeaseLedger, type LeaseLedger } from '@platform/reliable-consumer';
import { CliError } from './output.ts';

/** Where the CLI's commands act: clients and the image worker's resources. */
export interface CliEnvironment {
  envName: string;
  clients: AwsClients;
  queueUrl: string;
  dlqUrl: string;
  table: string;
  bucket: string;
  ledger: LeaseLedger;
  /** The producer library's clients and target (submit, status, list, cancel, url). */
  jobs: { deps: ImageJobsDeps; target: Required<ImageJobsTarget> };
  /** True when the SQS endpoint is an emulator (no StartMessageMoveTask there). */
  emulated: boolean;
  close(): void;
}

// The ports `npm start` prefers for fauxqs (SQS, SNS, S3) and DynamoDB Local.
const NPM_START_DEFAULTS: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
  S3_FORCE_PATH_STYLE: 'true',
};

/**
 * Resolves the environment the same way the services do: the standard AWS SDK variables for
 * endpoints and credentials, IMAGE_JOBS_QUEUE_URL / IMAGE_JOBS_DLQ_URL / IMAGE_JOBS_TABLE /
 * ASSETS_BUCKET when set, else the names the resource definition gives for ENV_NAME (queue URLs
 * looked up with GetQueueUrl). With ENV_NAME unset or `local` and no endpoint variables, it points at
 * the emulators `npm start` runs on their usual ports, so `npm run jobs -- submit` just works beside it.
 */
export async function resolveCliEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<CliEnvironment> {
  const envName = env.ENV_NAME ?? 'local';
  const hasEndpoints = Object.keys(env).some((name) => name.startsWith('AWS_ENDPOINT_URL'));
  const effective: NodeJS.ProcessEnv =
    envName === 'local' && !hasEndpoints ? { ...NPM_START_DEFAULTS, ...env } : env;
  const clients = createAwsClients(effective);
  const resources = defineResources({ envName });

  const queueUrl = async (name: string, given: string | undefined): Promise<string> => {
    if (given !== undefined && given !== '') return given;
    try {
      const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }), {
        abortSignal: AbortSignal.timeout(10_000),
      });
      if (QueueUrl === undefined) throw new Error('no QueueUrl returned');
      return QueueUrl;
    } catch (error) {
      clients.destroy();
      const where = clients.endpoints.sqs ?? `SQS in ${clients.region}`;
      throw new CliError(
        `cannot find queue ${name} at ${where}: ${error instanceof Error ? error.message : String(error)}. ` +
          'Is `npm start` running, or are ENV_NAME / IMAGE_JOBS_QUEUE_URL and the AWS_* variables set?',
        { cause: error },
      );
    }
  };

  const imageJobs = resources.queues.imageJobs;
  const mainUrl = await queueUrl(imageJobs.name, env.IMAGE_JOBS_QUEUE_URL);
  const dlqUrl = await queueUrl(imageJobs.dlqName, env.IMAGE_JOBS_DLQ_URL);
  const table = env.IMAGE_JOBS_TABLE ?? resources.tables.imageJobs.name;
  return {
    envName,
    clients,
    queueUrl: mainUrl,
    dlqUrl,
    table,
    bucket: env.ASSETS_BUCKET ?? resources.bucket.name,
    // The CLI only reads the ledger; the lease duration is irrelevant to reads.
    ledger: createLeaseLedger(
      { ddb: clients.documentClient },
      { tableName: table, keyName: 'jobId', leaseDurationMs: 60_000 },
    ),
    jobs: {
      deps: { ddb: clients.documentClient, sqs: clients.sqs, s3: clients.s3 },
      target: { tableName: table, queueUrl: mainUrl },
    },
    emulated: clients.endpoints.sqs !== undefined,
    close: () => clients.destroy(),
  };
}
