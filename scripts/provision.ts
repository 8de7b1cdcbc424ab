/**
 * `npm run provision`: applies the resource definition to the endpoint and region in the environment
 * (real AWS by default; `AWS_ENDPOINT_URL*` for LocalStack or the emulators). ENV_NAME is required.
 * Safe to re-run: a second run reports "0 created, 0 updated".
 *
 *   ENV_NAME=dev AWS_REGION=eu-west-1 npm run provision
 *   ENV_NAME=local AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 \
 *     S3_FORCE_PATH_STYLE=true npm run provision
 */
import { exitOnConfigError, readConfig, str, bool } from '@platform/config';
import { createAwsClients, defineResources, provision, resourceEnv } from '@platform/aws-resources';

let config;
try {
  config = readConfig({
    ENV_NAME: str({ desc: 'environment prefix of every resource name, e.g. dev, prod' }),
    ASSETS_BUCKET: str({ default: '', desc: 'bucket name override (S3 names are global)' }),
    POINT_IN_TIME_RECOVERY: bool({ default: true, desc: 'enable DynamoDB PITR on every table' }),
  });
} catch (error) {
  exitOnConfigError(error);
}

const clients = createAwsClients();
try {
  const resources = defineResources({
    envName: config.ENV_NAME,
    overrides: {
      ...(config.ASSETS_BUCKET === '' ? {} : { bucketName: config.ASSETS_BUCKET }),
      pointInTimeRecovery: config.POINT_IN_TIME_RECOVERY,
    },
  });
  const provisioned = await provision(clients, resources);
  console.log('\nEnvironment for the services:');
  for (const [key, value] of Object.entries(resourceEnv(provisioned))) console.log(`  ${key}=${value}`);
  if (provisioned.report.some((r) => r.drift.length > 0)) {
    console.error(
      '\nSome resources differ from the definition in ways provisioning cannot fix (see DRIFT above).',
    );
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`Provisioning failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause !== undefined) console.error(error.cause);
  process.exitCode = 1;
} finally {
  clients.destroy();
}
