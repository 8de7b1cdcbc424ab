// Dev and test code stays out of production paths: a service's sources never reach into scripts/ or
// test/, and the npm start supervisor does not load the test kit (both use @platform/dev-process).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import test from 'ava';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const serviceSources = readdirSync(join(root, 'services')).flatMap((service) =>
  sourceFiles(join(root, 'services', service, 'src')),
);

test('no service source imports from scripts/ or test/', (t) => {
  t.true(serviceSources.length > 0);
  const offenders = serviceSources.filter((file) =>
    /from '(\.\.\/)+(scripts|test)\//.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(
    offenders.map((file) => relative(root, file)),
    [],
  );
});

test('the npm start supervisor does not depend on the test kit', (t) => {
  const files = [join(root, 'scripts', 'start.ts'), ...sourceFiles(join(root, 'scripts', 'lib'))];
  const offenders = files.filter((file) => readFileSync(file, 'utf8').includes('@platform/testkit'));
  t.deepEqual(
    offenders.map((file) => relative(root, file)),
    [],
  );
});

test('the fault-injection template and its error live only in the test plugin, not in a service source', (t) => {
  const offenders = serviceSources.filter((file) =>
    /test-transient-fault|InjectedTransientFault/.test(readFileSync(file, 'utf8')),
  );
  t.deepEqual(
    offenders.map((file) => relative(root, file)),
    [],
  );
});
