import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startFauxqs } from 'fauxqs';
import { startDynamoDbLocal } from './dynamoDbLocal.ts';
import { EmbeddedAwsError } from './errors.ts';
import { freePort } from '@platform/dev-process';

export interface EmbeddedAwsOptions {
  /** Fixed ports; 0 or absent means a free port chosen at start. */
  ports?: { fauxqs?: number; dynamodb?: number };
  /** Keep S3 objects as plain files under this directory (see `objectPathOnDisk`); default in memory. */
  s3Dir?: string;
  /** The address clients use. Both emulators listen on every interface; neither has a bind option. */
  host?: string;
  region?: string;
}

export interface EmbeddedAwsEndpoints {
  /** fauxqs serves SQS, SNS and S3 on one port. */
  sqs: string;
  sns: string;
  s3: string;
  dynamodb: string;
}

export interface EmbeddedAws {
  endpoints: EmbeddedAwsEndpoints;
  /** What a child process needs to reach the emulators with the AWS SDK's standard variables. */
  env: Record<string, string>;
  region: string;
  s3Dir: string | undefined;
  /** Start-up time of each emulator, measured, for the summary and for benchmarks. */
  startupMs: { fauxqs: number; dynamodb: number; total: number };
  dynamodbPid: number | undefined;
  stop(): Promise<void>;
}

const DYNAMODB_PORT_ATTEMPTS = 3; // a chosen free port can be taken before the JVM binds it

export async function startEmbeddedAws(options: EmbeddedAwsOptions = {}): Promise<EmbeddedAws> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const s3Dir = options.s3Dir === undefined ? undefined : resolve(options.s3Dir);
  if (s3Dir !== undefined) await mkdir(s3Dir, { recursive: true });
  const started = performance.now();

  const fauxqsStart = (async () => {
    const t0 = performance.now();
    const server = await startFauxqs({
      port: options.ports?.fauxqs ?? 0,
      logger: false,
      defaultRegion: region,
      ...(s3Dir === undefined ? {} : { s3StorageDir: s3Dir }),
    });
    return { server, ms: performance.now() - t0 };
  })();
  const dynamoStart = (async () => {
    const t0 = performance.now();
    const fixed = options.ports?.dynamodb;
    for (let attempt = 1; ; attempt++) {
      const port = fixed !== undefined && fixed !== 0 ? fixed : await freePort(host);
      try {
        const dynamo = await startDynamoDbLocal({ port, host });
        return { dynamo, ms: performance.now() - t0 };
      } catch (err) {
        if (fixed !== undefined && fixed !== 0) throw err;
        if (attempt >= DYNAMODB_PORT_ATTEMPTS) throw err;
      }
    }
  })();

  const [fauxqsResult, dynamoResult] = await Promise.allSettled([fauxqsStart, dynamoStart]);
  if (fauxqsResult.status === 'rejected' || dynamoResult.status === 'rejected') {
    // Never leave half an environment running.
    if (fauxqsResult.status === 'fulfilled') await fauxqsResult.value.server.stop();
    if (dynamoResult.status === 'fulfilled') await dynamoResult.value.dynamo.stop();
    const reason: unknown =
      fauxqsResult.status === 'rejected'
        ? fauxqsResult.reason
        : (dynamoResult as PromiseRejectedResult).reason;
    if (reason instanceof EmbeddedAwsError) throw reason;
    throw new EmbeddedAwsError(`embedded AWS failed to start: ${String(reason)}`, { cause: reason });
  }
  const { server, ms: fauxqsMs } = fauxqsResult.value;
  const { dynamo, ms: dynamodbMs } = dynamoResult.value;

  const fauxqsEndpoint = `http://${host}:${server.port}`;
  const endpoints: EmbeddedAwsEndpoints = {
    sqs: fauxqsEndpoint,
    sns: fauxqsEndpoint,
    s3: fauxqsEndpoint,
    dynamodb: dynamo.endpoint,
  };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    env: embeddedAwsEnv(endpoints, region),
    region,
    s3Dir,
    startupMs: {
      fauxqs: Math.round(fauxqsMs),
      dynamodb: Math.round(dynamodbMs),
      total: Math.round(performance.now() - started),
    },
    dynamodbPid: dynamo.pid,
    stop() {
      stopping ??= Promise.all([server.stop(), dynamo.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

/** The SDK-standard variables (plus our S3 path-style flag) that point a process at the emulators. */
export function embeddedAwsEnv(endpoints: EmbeddedAwsEndpoints, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    // Emulators accept any credentials; these stop the SDK from searching for real ones.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * Where fauxqs keeps an object's bytes when started with `s3Dir`: its own layout, the key's slashes as
 * directories and `.data` appended (metadata sits beside it in `.meta.json`). The bytes are the object
 * unchanged, so `generated/abc.png.data` opens in an image viewer as a PNG.
 */
export function objectPathOnDisk(s3Dir: string, bucket: string, key: string): string {
  return join(s3Dir, 'buckets', bucket, 'objects', `${key}.data`);
}
