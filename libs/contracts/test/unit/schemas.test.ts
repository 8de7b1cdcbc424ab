import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import {
  CONTRACTS,
  IMAGE_JOB_COMPLETED_V1_EXAMPLES,
  IMAGE_JOB_FAILED_V1_EXAMPLES,
  IMAGE_JOB_REQUESTED_V1_EXAMPLES,
  SMS_REQUESTED_V1_EXAMPLES,
  SMS_OPTOUT_V1_EXAMPLES,
  SMS_STATUS_V1_EXAMPLES,
  compileAllValidators,
  listContractVersions,
  validatePayload,
} from '@platform/contracts';

const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url);

for (const { contract, version, schema } of listContractVersions()) {
  const file = `${contract}.v${version}.schema.json`;

  test(`${file} is a documented, closed draft 2020-12 schema`, (t) => {
    t.is(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    t.true(schema.$id.endsWith(`/${file}`), `$id ${schema.$id} names its file`);
    t.is(schema.title, `${contract} v${version}`);
    t.true(typeof schema['description'] === 'string' && schema['description'].length > 20);
    t.is(schema['additionalProperties'], false);
    t.true(Array.isArray(schema['examples']) && schema['examples'].length >= 2, 'at least two examples');
  });

  test(`every example of ${file} validates`, (t) => {
    const examples = schema['examples'] as unknown[];
    for (const [index, example] of examples.entries()) {
      const result = validatePayload(contract, example, version);
      t.deepEqual(result.errors, undefined, `example ${index}`);
      t.true(result.valid);
    }
  });
}

test('every validator compiles under ajv strict mode (they are compiled lazily in services)', (t) => {
  t.is(compileAllValidators(), listContractVersions().length);
});

test('the schemas folder holds exactly the registered contracts plus the shared definitions', async (t) => {
  const files = (await readdir(SCHEMAS_DIR)).filter((name) => name.endsWith('.schema.json')).sort();
  const registered = listContractVersions().map(
    ({ contract, version }) => `${contract}.v${version}.schema.json`,
  );
  t.deepEqual(files, ['common.v1.schema.json', ...registered].sort());
});

test('shared field shapes are defined once, in common.v1, and referenced elsewhere', async (t) => {
  const sharedPatterns = ['^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$', '^\\+[1-9][0-9]{1,14}$'];
  for (const { contract, version } of listContractVersions()) {
    const text = await readFile(new URL(`${contract}.v${version}.schema.json`, SCHEMAS_DIR), 'utf8');
    for (const pattern of sharedPatterns)
      t.false(text.includes(JSON.stringify(pattern)), `${contract} copies ${pattern}`);
    t.false(text.includes('"format": "date-time"'), `${contract} copies the timestamp definition`);
    t.true(text.includes('common.v1.schema.json#/$defs/'));
  }
});

test('the generated example constants are the schemas examples', (t) => {
  t.deepEqual(IMAGE_JOB_REQUESTED_V1_EXAMPLES, CONTRACTS['image.job.requested'].versions[1]['examples']);
  t.deepEqual(SMS_REQUESTED_V1_EXAMPLES, CONTRACTS['sms.requested'].versions[1]['examples']);
  t.deepEqual(SMS_STATUS_V1_EXAMPLES, CONTRACTS['sms.status'].versions[1]['examples']);
  t.deepEqual(SMS_OPTOUT_V1_EXAMPLES, CONTRACTS['sms.optout'].versions[1]['examples']);
  t.deepEqual(IMAGE_JOB_COMPLETED_V1_EXAMPLES, CONTRACTS['image.job.completed'].versions[1]['examples']);
  t.deepEqual(IMAGE_JOB_FAILED_V1_EXAMPLES, CONTRACTS['image.job.failed'].versions[1]['examples']);
});
