// The scanner behind the IAM cross-check, on a small repository written for the test: it must follow
// barrels symbol by symbol, see dynamic imports, third-party senders and transaction items, and
// report what it cannot map instead of guessing.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { AwsCommandScanner } from './lib/awsCommandScanner.ts';

type Files = Record<string, string>;

async function withRepo(files: Files, run: (root: string) => void | Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'scanner-'));
  try {
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
    await run(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const manifest = (name: string, dependencies: string[], exports?: Record<string, string>): string =>
  JSON.stringify({
    name,
    type: 'module',
    ...(exports === undefined ? {} : { exports }),
    dependencies: Object.fromEntries(dependencies.map((dependency) => [dependency, '*'])),
  });

const REPO: Files = {
  'libs/store/package.json': manifest('@platform/store', ['@aws-sdk/lib-dynamodb', '@aws-sdk/client-s3'], {
    '.': './src/index.ts',
  }),
  'libs/store/src/index.ts': [
    "export { save } from './save.ts';",
    "export { purge } from './purge.ts';",
    "export * from './more.ts';",
    "export type { Shape } from './types.ts';",
  ].join('\n'),
  'libs/store/src/save.ts': [
    "import { TransactWriteCommand, QueryCommand, type GetCommandInput } from '@aws-sdk/lib-dynamodb';",
    'export async function save(client: { send(c: unknown): Promise<unknown> }, input?: GetCommandInput) {',
    '  await client.send(new TransactWriteCommand({ TransactItems: [{ Put: {} }, { ConditionCheck: {} }] }));',
    "  await client.send(new QueryCommand({ TableName: 't', IndexName: 'gsi1' }));",
    '  return input;',
    '}',
  ].join('\n'),
  // Exported by the barrel but never imported by the service: must not count.
  'libs/store/src/purge.ts': [
    "import { DeleteObjectsCommand } from '@aws-sdk/client-s3';",
    'export const purge = (client: { send(c: unknown): unknown }) => client.send(new DeleteObjectsCommand({}));',
  ].join('\n'),
  'libs/store/src/more.ts': [
    "import { HeadObjectCommand } from '@aws-sdk/client-s3';",
    'export function head(client: { send(c: unknown): unknown }) { return client.send(new HeadObjectCommand({})); }',
  ].join('\n'),
  'libs/store/src/types.ts':
    "import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';\nexport type Shape = typeof DeleteTableCommand;",
  'services/svc/package.json': manifest('@platform/svc', [
    '@platform/store',
    '@aws-sdk/client-sqs',
    'fake-consumer',
  ]),
  'services/svc/src/main.ts': [
    "import { save, head } from '@platform/store';",
    "import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';",
    "import { Consumer } from 'fake-consumer';",
    "import type { Shape } from 'types-only-package';",
    "import { THREAD } from './pool.ts';",
    'export async function main(client: { send(c: unknown): Promise<unknown> }, shape?: Shape) {',
    '  await save(client);',
    '  await head(client);',
    '  await client.send(new SendMessageBatchCommand({ QueueUrl: "q", Entries: [] }));',
    "  const { PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');",
    '  await client.send(new PutMetricDataCommand({}));',
    '  return [Consumer, shape, THREAD];',
    '}',
  ].join('\n'),
  'services/svc/src/main.test.ts':
    "import { DeleteQueueCommand } from '@aws-sdk/client-sqs';\nnew DeleteQueueCommand({});",
  // Beside the service but not imported by its entry: an operator's CLI, run with other credentials.
  'services/svc/src/cli/purgeQueue.ts': [
    "import { PurgeQueueCommand } from '@aws-sdk/client-sqs';",
    "export const purge = new PurgeQueueCommand({ QueueUrl: 'q' });",
  ].join('\n'),
  // A worker thread is loaded by path rather than imported; a font package is resolved by name.
  'services/svc/src/pool.ts': [
    "export const THREAD = new URL('./thread.ts', import.meta.url);",
    "export const FONTS = import.meta.resolve('font-package/LICENSE');",
  ].join('\n'),
  'services/svc/src/thread.ts': [
    "import { GetObjectCommand } from '@aws-sdk/client-s3';",
    "export const get = new GetObjectCommand({ Bucket: 'b', Key: 'k' });",
  ].join('\n'),
  'node_modules/fake-consumer/package.json': manifest('fake-consumer', ['@aws-sdk/client-sqs']),
  'node_modules/fake-consumer/dist/index.js': [
    "import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';",
    'export class Consumer { poll(sqs) { return sqs.send(new ReceiveMessageCommand({})); } }',
  ].join('\n'),
  'services/aggregated/package.json': manifest('@platform/aggregated', [
    '@aws-sdk/client-sqs',
    '@aws-sdk/lib-dynamodb',
  ]),
  'services/aggregated/src/main.ts': [
    "import { SQS } from '@aws-sdk/client-sqs';",
    "import { ExecuteStatementCommand } from '@aws-sdk/lib-dynamodb';",
    'export const sqs = new SQS({});',
    'export const run = (c: { send(x: unknown): unknown }) => c.send(new ExecuteStatementCommand({ Statement: "" }));',
  ].join('\n'),
};

test('follows barrels symbol by symbol and maps commands to IAM actions', async (t) => {
  await withRepo(REPO, (root) => {
    const scan = new AwsCommandScanner(root).scanService('svc');
    t.deepEqual([...scan.actions.keys()].sort(), [
      'cloudwatch:PutMetricData', // destructured dynamic import
      'dynamodb:ConditionCheckItem', // TransactWriteItems, per item kind
      'dynamodb:PutItem',
      'dynamodb:Query',
      's3:GetObject', // HeadObject authorises as GetObject; GetObject in the worker thread
      'sqs:ReceiveMessage', // sent by a third-party package on the service's behalf
      'sqs:SendMessage', // SendMessageBatch authorises as SendMessage
    ]);
    t.false(scan.modules.includes('libs/store/src/purge.ts'), 'an unused barrel export is not reached');
    t.false(scan.modules.includes('libs/store/src/types.ts'), 'type-only exports are not reached');
    t.false(
      scan.modules.some((file) => file.endsWith('.test.ts')),
      'tests are not service code',
    );
    t.false(
      scan.modules.includes('services/svc/src/cli/purgeQueue.ts'),
      'code the entry never loads is not counted',
    );
    t.false(scan.actions.has('sqs:PurgeQueue'));
    t.true(scan.modules.includes('services/svc/src/thread.ts'), 'worker threads are followed');
    t.deepEqual(scan.thirdPartySenders, ['fake-consumer']);
    t.deepEqual(scan.problems, []);
    t.is(scan.actions.get('dynamodb:Query')?.[0]?.readsIndex, true);
  });
});

test('reports imports the service does not declare (they would be missing from its image)', async (t) => {
  await withRepo(REPO, (root) => {
    const scan = new AwsCommandScanner(root).scanService('svc');
    t.deepEqual(scan.undeclaredImports, [
      'services/svc/src/main.ts: @aws-sdk/client-cloudwatch',
      'services/svc/src/pool.ts: font-package', // resolved by name, installed all the same
      'services/svc/src/thread.ts: @aws-sdk/client-s3',
    ]);
  });
});

test('reports aggregated clients and PartiQL instead of guessing their actions', async (t) => {
  await withRepo(REPO, (root) => {
    const scan = new AwsCommandScanner(root).scanService('aggregated');
    t.is(scan.actions.size, 0);
    t.is(scan.problems.length, 2);
    t.regex(scan.problems.join('\n'), /aggregated client SQS/);
    t.regex(scan.problems.join('\n'), /dynamodb:ExecuteStatement/);
  });
});

test('preloaded modules (node --import) count as service code', async (t) => {
  const files: Files = {
    ...REPO,
    'libs/store/package.json': manifest(
      '@platform/store',
      ['@aws-sdk/lib-dynamodb', '@aws-sdk/client-s3', '@aws-sdk/client-sns'],
      {
        '.': './src/index.ts',
        './register': './src/register.ts',
      },
    ),
    'libs/store/src/register.ts':
      "import { PublishCommand } from '@aws-sdk/client-sns';\nexport const p = new PublishCommand({});",
  };
  await withRepo(files, (root) => {
    const scanner = new AwsCommandScanner(root);
    t.false(scanner.scanService('svc').actions.has('sns:Publish'));
    t.true(scanner.scanService('svc', ['@platform/store/register']).actions.has('sns:Publish'));
  });
});
