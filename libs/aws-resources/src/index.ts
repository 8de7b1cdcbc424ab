// The production entry: resource definitions, provisioning and clients. It must never import the
// emulators (fauxqs, DynamoDB Local): they are devDependencies, absent from service images, and live
// behind '@platform/aws-resources/embedded' (test/process/entries.test.ts checks the module graph).
export {
  defineResources,
  InvalidResourceDefinition,
  type BucketDefinition,
  type DefineResourcesOptions,
  type GlobalSecondaryIndexDefinition,
  type KeyAttribute,
  type QueueDefinition,
  type QueueKey,
  type QueueSettings,
  type ResourceDefinition,
  type ResourceOverrides,
  type TableDefinition,
  type TableKey,
  type TopicDefinition,
  type TopicKey,
} from './definition.ts';
export { createAwsClients, type AwsClients } from './clients.ts';
export {
  provision,
  type ProvisionClients,
  type ProvisionedResources,
  type ProvisionOptions,
} from './provision.ts';
export type { ProvisionedQueue } from './provisionQueues.ts';
export type { ProvisionedTable } from './provisionTables.ts';
export type { ProvisionedTopic } from './provisionTopics.ts';
export { formatReport, type ProvisionAction, type ResourceReport } from './report.ts';
export { resourceEnv } from './resourceEnv.ts';
export { ProvisionError } from './errors.ts';
