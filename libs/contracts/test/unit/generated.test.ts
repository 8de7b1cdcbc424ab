import test from 'ava';
import { readFile } from 'node:fs/promises';
import { GENERATED_DIR, renderGeneratedFiles } from '../../src/codegen/generate.ts';

test('src/generated matches the schemas (run `npm run generate -w @platform/contracts` if this fails)', async (t) => {
  const rendered = await renderGeneratedFiles();
  t.deepEqual(Object.keys(rendered).sort(), ['examples.ts', 'types.ts']);
  for (const [name, text] of Object.entries(rendered)) {
    t.is(await readFile(GENERATED_DIR + name, 'utf8'), text, `${name} is stale`);
  }
});
