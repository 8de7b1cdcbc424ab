import {
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { KeyAttribute, TableDefinition } from './definition.ts';
import { isUnsupportedOperation, ProvisionError } from './errors.ts';
import { newReport, type ResourceReport } from './report.ts';
import { sdkErrorInfo } from '@platform/errors';

export interface ProvisionedTable {
  name: string;
  arn: string;
}

// Table creation takes seconds on AWS; DynamoDB Local answers ACTIVE at once.
const TABLE_ACTIVE_TIMEOUT_SECONDS = 300;

export async function provisionTable(
  dynamodb: DynamoDBClient,
  table: TableDefinition,
): Promise<{ table: ProvisionedTable; report: ResourceReport }> {
  const report = newReport('table', table.name);
  let description = await describeTable(dynamodb, table.name);
  if (description === undefined) {
    await dynamodb.send(new CreateTableCommand(createTableInput(table)));
    report.action = 'created';
  } else {
    report.drift.push(...schemaDrift(table, description));
  }
  if (description?.TableStatus !== 'ACTIVE') {
    // TTL and backups can only be changed on an ACTIVE table.
    await waitUntilTableExists(
      { client: dynamodb, maxWaitTime: TABLE_ACTIVE_TIMEOUT_SECONDS, minDelay: 1, maxDelay: 5 },
      { TableName: table.name },
    );
    description = await describeTable(dynamodb, table.name);
  }
  const arn = description?.TableArn;
  if (arn === undefined) throw new ProvisionError(table.name, 'DescribeTable returned no TableArn');

  await ensureTimeToLive(dynamodb, table, report);
  if (table.pointInTimeRecovery) await ensurePointInTimeRecovery(dynamodb, table, report);
  return { table: { name: table.name, arn }, report };
}

function createTableInput(table: TableDefinition) {
  const attributes = new Map<string, AttributeDefinition>();
  const addAttribute = (key: KeyAttribute) =>
    attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  const keySchema = (partition: KeyAttribute, sort: KeyAttribute | undefined): KeySchemaElement[] => {
    addAttribute(partition);
    if (sort !== undefined) addAttribute(sort);
    return [
      { AttributeName: partition.name, KeyType: 'HASH' },
      ...(sort === undefined ? [] : [{ AttributeName: sort.name, KeyType: 'RANGE' as const }]),
    ];
  };
  const KeySchema = keySchema(table.partitionKey, table.sortKey);
  const GlobalSecondaryIndexes = table.globalSecondaryIndexes.map((gsi) => ({
    IndexName: gsi.name,
    KeySchema: keySchema(gsi.partitionKey, gsi.sortKey),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    TableName: table.name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    KeySchema,
    AttributeDefinitions: [...attributes.values()],
    ...(GlobalSecondaryIndexes.length > 0 ? { GlobalSecondaryIndexes } : {}),
  };
}

async function describeTable(dynamodb: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (sdkErrorInfo(err).name === 'ResourceNotFoundException') return undefined;
    throw new ProvisionError(name, 'DescribeTable failed', { cause: err });
  }
}

/** Keys and indexes cannot be changed in place; a person decides whether to migrate. */
function schemaDrift(table: TableDefinition, actual: TableDescription): string[] {
  const drift: string[] = [];
  const keyText = (schema: KeySchemaElement[] | undefined) =>
    (schema ?? []).map((k) => `${k.AttributeName ?? '?'}(${k.KeyType ?? '?'})`).join(',');
  const wantedKeys = (p: KeyAttribute, s: KeyAttribute | undefined) =>
    [`${p.name}(HASH)`, ...(s === undefined ? [] : [`${s.name}(RANGE)`])].join(',');

  const haveKeys = keyText(actual.KeySchema);
  const wantKeys = wantedKeys(table.partitionKey, table.sortKey);
  if (haveKeys !== wantKeys) drift.push(`key schema is ${haveKeys}, definition says ${wantKeys}`);

  for (const gsi of table.globalSecondaryIndexes) {
    const found = actual.GlobalSecondaryIndexes?.find((g) => g.IndexName === gsi.name);
    const want = wantedKeys(gsi.partitionKey, gsi.sortKey);
    if (found === undefined) drift.push(`GSI ${gsi.name} (${want}) is missing`);
    else if (keyText(found.KeySchema) !== want)
      drift.push(`GSI ${gsi.name} keys are ${keyText(found.KeySchema)}, definition says ${want}`);
  }
  const billing = actual.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
  if (billing !== 'PAY_PER_REQUEST')
    drift.push(`billing mode is ${billing}, definition says PAY_PER_REQUEST`);
  return drift;
}

async function ensureTimeToLive(
  dynamodb: DynamoDBClient,
  table: TableDefinition,
  report: ResourceReport,
): Promise<void> {
  const ttl = (await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table.name })))
    .TimeToLiveDescription;
  const status = ttl?.TimeToLiveStatus ?? 'DISABLED';
  if ((status === 'ENABLED' || status === 'ENABLING') && ttl?.AttributeName === table.ttlAttribute) return;
  if (status !== 'DISABLED') {
    // AWS allows one TTL attribute per table and changing it means disabling first (then an hour's wait).
    report.drift.push(
      `TTL is ${status} on ${ttl?.AttributeName ?? '?'}, definition says ${table.ttlAttribute}`,
    );
    return;
  }
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: table.name,
      TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
    }),
  );
  if (report.action === 'kept') {
    report.action = 'updated';
    report.changes.push(`TTL enabled on ${table.ttlAttribute}`);
  }
}

async function ensurePointInTimeRecovery(
  dynamodb: DynamoDBClient,
  table: TableDefinition,
  report: ResourceReport,
): Promise<void> {
  try {
    const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table.name }));
    const status =
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
    if (status === 'ENABLED') return;
    await dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName: table.name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    if (report.action === 'kept') {
      report.action = 'updated';
      report.changes.push('point-in-time recovery enabled');
    }
  } catch (err) {
    if (!isUnsupportedOperation(err))
      throw new ProvisionError(table.name, 'point-in-time recovery', { cause: err });
    report.notes.push('endpoint does not support point-in-time recovery');
  }
}
