/**
 * `npm test`: starts the embedded AWS once, hands its endpoints to every ava worker through
 * PLATFORM_TEST_AWS (see @platform/testkit), runs ava with the given arguments, stops the emulators and
 * exits with ava's status. ava's own output passes through untouched (CI parses its summary lines).
 */
import { spawn } from 'node:child_process';
import { startEmbeddedAws } from '@platform/aws-resources/embedded';
import { SHARED_AWS_ENV_VAR, serializeSharedAws } from '@platform/testkit';

const aws = await startEmbeddedAws();
process.stderr.write(
  `embedded AWS for tests: sqs/s3/sns ${aws.endpoints.sqs}, dynamodb ${aws.endpoints.dynamodb} (started in ${aws.startupMs.total} ms)\n`,
);

const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    [SHARED_AWS_ENV_VAR]: serializeSharedAws({ endpoints: aws.endpoints, env: aws.env, region: aws.region }),
  },
});
// Ctrl-C reaches ava directly (same process group); we only wait for it and then clean up.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => ava.kill(signal));
const status = await new Promise<number>((resolve) => ava.once('close', (code) => resolve(code ?? 1)));
await aws.stop();
process.exit(status);
