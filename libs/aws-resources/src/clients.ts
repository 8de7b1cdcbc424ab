import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  region: string;
  /** Custom endpoints in effect (emulators, LocalStack); empty on real AWS. */
  endpoints: Partial<Record<'sqs' | 's3' | 'sns' | 'dynamodb', string>>;
  sqs: SQSClient;
  s3: S3Client;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  /** Marshals plain JS values; `undefined` attributes are dropped rather than rejected. */
  documentClient: DynamoDBDocumentClient;
  destroy(): void;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Clients configured from the SDK's own variables: `AWS_REGION`, `AWS_ENDPOINT_URL` and the
 * per-service `AWS_ENDPOINT_URL_SQS|S3|DYNAMODB|SNS`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
 * They are read from `env` (not only `process.env`) so a test or a supervisor can build clients for an
 * environment it is about to hand to a child process. Credentials fall back to the SDK's default chain.
 */
export function createAwsClients(env: Env = process.env): AwsClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials =
    env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }),
        }
      : undefined;
  const endpointOf = (service: 'SQS' | 'S3' | 'SNS' | 'DYNAMODB') => {
    const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
    return endpoint === '' ? undefined : endpoint;
  };
  const base = (service: 'SQS' | 'S3' | 'SNS' | 'DYNAMODB') => {
    // Passed as `endpoint` config (not left to the SDK's env lookup) because the SQS client sends each
    // request to its QueueUrl's host unless `endpoint` is configured, and emulator queue URLs such as
    // http://sqs.us-east-1.localhost:4566/... do not resolve everywhere.
    const endpoint = endpointOf(service);
    return {
      region,
      ...(credentials === undefined ? {} : { credentials }),
      ...(endpoint === undefined ? {} : { endpoint }),
    };
  };
  const sqs = new SQSClient(base('SQS'));
  // Emulators serve buckets under the path (http://host:port/bucket); virtual-hosted style needs DNS.
  const s3 = new S3Client({ ...base('S3'), forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' });
  const sns = new SNSClient(base('SNS'));
  const dynamodb = new DynamoDBClient(base('DYNAMODB'));
  const documentClient = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const endpoints: AwsClients['endpoints'] = {};
  for (const service of ['sqs', 's3', 'sns', 'dynamodb'] as const) {
    const endpoint = endpointOf(service.toUpperCase() as 'SQS' | 'S3' | 'SNS' | 'DYNAMODB');
    if (endpoint !== undefined) endpoints[service] = endpoint;
  }
  return {
    region,
    endpoints,
    sqs,
    s3,
    sns,
    dynamodb,
    documentClient,
    destroy() {
      sqs.destroy();
      s3.destroy();
      sns.destroy();
      documentClient.destroy();
      dynamodb.destroy();
    },
  };
}
