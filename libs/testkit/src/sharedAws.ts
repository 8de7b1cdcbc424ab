import type { EmbeddedAwsEndpoints } from '@platform/aws-resources/embedded';

/** The env var through which `npm test` (scripts/test.ts) hands its emulators to every ava worker. */
export const SHARED_AWS_ENV_VAR = 'PLATFORM_TEST_AWS';

export interface SharedAws {
  endpoints: EmbeddedAwsEndpoints;
  /** AWS_REGION, dummy credentials, AWS_ENDPOINT_URL_*, S3_FORCE_PATH_STYLE. */
  env: Record<string, string>;
  region: string;
  /** Where the emulator started by this process keeps S3 objects, if on disk. */
  s3Dir?: string;
}

let shared: Promise<SharedAws> | undefined;

/**
 * The emulators every test in this process shares. `npm test` starts them once and passes them in
 * PLATFORM_TEST_AWS; a file run on its own (`npx ava libs/x/test/y.test.ts`) starts them here, once per
 * worker process, and they stop when the process exits (DynamoDB Local is killed with it).
 */
export function sharedAws(): Promise<SharedAws> {
  shared ??= resolveSharedAws();
  return shared;
}

async function resolveSharedAws(): Promise<SharedAws> {
  const fromRunner = process.env[SHARED_AWS_ENV_VAR];
  if (fromRunner !== undefined && fromRunner !== '') return parseSharedAws(fromRunner);
  // Imported here, not at the top: importing 'ava' outside the ava CLI throws, and scripts such as
  // scripts/test.ts and benchmarks import the testkit too. The emulators likewise: under `npm test` no
  // worker starts them, so none loads them.
  const { registerCompletionHandler } = await import('ava');
  const { startEmbeddedAws } = await import('@platform/aws-resources/embedded');
  const aws = await startEmbeddedAws();
  // The emulators keep the event loop alive, so the worker would never exit on its own: when ava is done
  // with this worker, stop them and exit (ava expects it then; the exit code is ava's own).
  registerCompletionHandler(() => {
    void aws.stop().finally(() => process.exit());
  });
  return { endpoints: aws.endpoints, env: aws.env, region: aws.region };
}

export function serializeSharedAws(aws: SharedAws): string {
  return JSON.stringify(aws);
}

function parseSharedAws(json: string): SharedAws {
  const parsed = JSON.parse(json) as Partial<SharedAws>;
  if (
    typeof parsed !== 'object' ||
    parsed.endpoints === undefined ||
    parsed.env === undefined ||
    typeof parsed.region !== 'string'
  ) {
    throw new Error(`${SHARED_AWS_ENV_VAR} must be JSON with endpoints, env and region; received ${json}`);
  }
  return parsed as SharedAws;
}
