import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeMessage } from '@platform/contracts';
import {
  useIsolatedAws,
  waitFor,
  waitForItem,
  waitForMessageCount,
  waitForQueueEmpty,
  type IsolatedAws,
} from '@platform/testkit';
// Registers the test-only `test-transient-fault` template for the in-process workers below.
import '../plugins/faultInjection.ts';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import { dlqListCommand, dlqRedriveCommand } from '../../src/cli/dlq.ts';
import { resolveCliEnvironment, type CliEnvironment } from '../../src/cli/environment.ts';
import { CliError, type Output } from '../../src/cli/output.ts';
import { submitCommand } from '../../src/cli/submit.ts';
import { submitImageJob } from '../../src/jobs/submit.ts';
import { startInProcessWorker } from '../helpers/inProcessWorker.ts';
import { testJob } from '../helpers/jobs.ts';

const CLI = 'services/image-worker/src/cli/jobs.ts';

/** The real CLI as a child process: what a person runs, exit code and all. */
async function jobs(
  aws: IsolatedAws,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...aws.env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The commands in-process (spawning a CLI costs seconds on a loaded machine), output captured. */
async function inProcess(
  t: ExecutionContext,
  aws: IsolatedAws,
): Promise<{ env: CliEnvironment; out: Output; lines: string[]; json: unknown[] }> {
  const env = await resolveCliEnvironment(aws.env);
  t.teardown(() => env.close());
  const lines: string[] = [];
  const json: unknown[] = [];
  return {
    env,
    lines,
    json,
    out: { line: (text) => void lines.push(text), json: (value) => void json.push(value) },
  };
}

test('the CLI process: submit from flags, status, get, and exit codes for bad input (2) and unknown jobs (3)', async (t) => {
  const aws = await useIsolatedAws(t);
  startInProcessWorker(t, aws);
  const submitted = await jobs(
    aws,
    'submit',
    '--template',
    'card',
    '-w',
    '300',
    '-H',
    '160',
    '-f',
    'webp',
    '--job-id',
    'cli-flags-1',
    '-p',
    'title=From the CLI',
    '-p',
    'layout=center',
  );
  t.is(submitted.code, 0, submitted.stderr);
  t.regex(submitted.stdout, /submitted cli-flags-1/);

  await waitForItem(
    aws.clients.documentClient,
    {
      table: aws.tables.imageJobs,
      key: { jobId: 'cli-flags-1' },
      predicate: (i) => i.status === 'COMPLETED',
    },
    { timeoutMs: 30_000 },
  );
  const status = await jobs(aws, 'status', 'cli-flags-1', '--json');
  t.is(status.code, 0, status.stderr);
  t.like(JSON.parse(status.stdout), {
    jobId: 'cli-flags-1',
    state: 'COMPLETED',
    attempts: 1,
    request: { format: 'webp', width: 300, height: 160 },
    result: { contentType: 'image/webp' },
  });
  const human = await jobs(aws, 'status', 'cli-flags-1');
  t.regex(human.stdout, /^state +COMPLETED$/m);
  t.regex(
    human.stdout,
    /^result +s3:\/\/\S+\/jobs\/cli-flags-1\.webp +image\/webp +\d+ bytes +sha256 [0-9a-f]{64}$/m,
  );

  // The URL alone on stdout, fetchable without credentials; a cancel now is too late (exit 4).
  const url = await jobs(aws, 'url', 'cli-flags-1', '--expires', '5m');
  t.is(url.code, 0, url.stderr);
  const fetched = await fetch(url.stdout.trim());
  t.is(fetched.status, 200);
  t.like(await sharp(Buffer.from(await fetched.arrayBuffer())).metadata(), { format: 'webp', width: 300 });
  const late = await jobs(aws, 'cancel', 'cli-flags-1');
  t.is(late.code, 4);
  t.regex(
    late.stderr,
    /too late: cli-flags-1 is already COMPLETED \(the cancel lost the race to the completion\)/,
  );
  const badExpiry = await jobs(aws, 'url', 'cli-flags-1', '--expires', '8d');
  t.is(badExpiry.code, 2);

  const file = join(await mkdtemp(join(tmpdir(), 'jobs-cli-')), 'out.webp');
  const got = await jobs(aws, 'get', 'cli-flags-1', '-o', file);
  t.is(got.code, 0, got.stderr);
  t.like(await sharp(await readFile(file)).metadata(), { format: 'webp', width: 300, height: 160 });

  const invalid = await jobs(aws, 'submit', '--template', 'card', '--width', '9000', '-p', 'title=x');
  t.is(invalid.code, 2);
  t.regex(
    invalid.stderr,
    /error: the job does not match image\.job\.requested v1 \(SCHEMA_VIOLATION\):\n {2}\/width/,
  );
  const unknownJob = await jobs(aws, 'status', 'never-submitted');
  t.is(unknownJob.code, 3);
  t.regex(unknownJob.stderr, /no ledger record for job never-submitted/);
});

test('submit --file and --count; missing input is a usage error naming what to do', async (t) => {
  const aws = await useIsolatedAws(t);
  const { env, out, lines } = await inProcess(t, aws);
  const dir = await mkdtemp(join(tmpdir(), 'jobs-cli-'));
  const file = join(dir, 'jobs.json');
  await writeFile(
    file,
    JSON.stringify([testJob({ jobId: 'from-file-1' }), testJob({ jobId: 'from-file-2' })]),
  );
  await submitCommand(env, { file }, out);
  t.regex(lines.join('\n'), /submitted 2 jobs/);
  await submitCommand(env, { count: 5, template: 'gradient', progress: false }, out);
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobs, 7);

  const nothing = await t.throwsAsync(submitCommand(env, {}, out), {
    instanceOf: CliError,
    message: /say what to submit/,
  });
  t.is(nothing.exitCode, 2);
  const missing = await t.throwsAsync(submitCommand(env, { file: join(dir, 'nope.json') }, out), {
    instanceOf: CliError,
    message: /cannot read .*nope\.json/,
  });
  t.is(missing.exitCode, 2);
  await t.throwsAsync(submitCommand(env, { count: 2, template: 'poster' }, out), {
    message: /demo jobs of card, gradient, fractal/,
  });
});

test('dlq list shows reasons; dlq redrive --reason moves only those back, attributes and trace context intact', async (t) => {
  // The backstop above the retry limit, so a receive burned on a loaded machine does not decide.
  const aws = await useIsolatedAws(t, { queues: { imageJobs: { maxReceiveCount: 4 } } });
  const w = startInProcessWorker(t, aws, {
    env: { BACKOFF_MAX_SECONDS: '1', MAX_ATTEMPTS: '2' },
  });
  const poison = testJob({ jobId: 'poison-1', template: 'no-such-template' });
  // Fails its first 2 attempts: with MAX_ATTEMPTS 2 the worker dead-letters it; after a redrive it succeeds.
  const flaky = testJob({ jobId: 'flaky-1', template: 'test-transient-fault', params: { failAttempts: 2 } });
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await submitImageJob(aws.clients.sqs, aws.urls.imageJobs, poison);
  const { MessageBody, MessageAttributes } = encodeMessage('image.job.requested', flaky);
  await aws.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: aws.urls.imageJobs,
      MessageBody,
      MessageAttributes: {
        ...MessageAttributes,
        traceparent: { DataType: 'String', StringValue: traceparent },
      },
    }),
  );
  await waitForItem(
    aws.clients.documentClient,
    {
      table: aws.tables.imageJobs,
      key: { jobId: 'flaky-1' },
      // FAILED alone is the retryable state between attempts; the give-up names its reason.
      predicate: (i) =>
        i.status === 'FAILED' &&
        (i.lastError as { code?: string } | undefined)?.code === 'ATTEMPTS_EXHAUSTED',
    },
    { timeoutMs: 60_000 },
  );
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 2, { timeoutMs: 30_000 });
  await w.worker.stop();

  const { env, out, lines, json } = await inProcess(t, aws);
  await dlqListCommand(env, { max: 50, json: true }, out);
  const rows = (json[0] as Array<{ jobId: string; reason: string; ledger: string }>).sort((a, b) =>
    a.jobId.localeCompare(b.jobId),
  );
  t.like(rows, [
    { jobId: 'flaky-1', reason: 'ATTEMPTS_EXHAUSTED', ledger: 'FAILED ATTEMPTS_EXHAUSTED' },
    { jobId: 'poison-1', reason: 'TEMPLATE_UNKNOWN', ledger: 'DEAD_LETTERED TEMPLATE_UNKNOWN' },
  ]);
  // Listing leaves the messages where they were.
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 2);

  await dlqRedriveCommand(env, { max: 100, reason: 'ATTEMPTS_EXHAUSTED', method: 'auto' }, out);
  t.true(lines.includes('redriven flaky-1 (ATTEMPTS_EXHAUSTED) -> ' + aws.urls.imageJobs));
  t.true(lines.includes('left 1 message(s) with another reason in the DLQ'));

  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.urls.imageJobs,
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 2,
      VisibilityTimeout: 0,
    }),
  );
  t.is(Messages.length, 1);
  t.is(JSON.parse(Messages[0]?.Body ?? '{}').jobId, 'flaky-1');
  t.is(Messages[0]?.MessageAttributes?.traceparent?.StringValue, traceparent, 'trace context kept');
  t.is(Messages[0]?.MessageAttributes?.contract?.StringValue, 'image.job.requested');
  t.false(Object.keys(Messages[0]?.MessageAttributes ?? {}).some((name) => name.startsWith('dlq-')));

  // The redriven job now succeeds (its ledger FAILED is retryable); the poison one stays put.
  const again = startInProcessWorker(t, aws, {
    env: { MAX_ATTEMPTS: '2' },
  });
  await waitForItem(
    aws.clients.documentClient,
    { table: aws.tables.imageJobs, key: { jobId: 'flaky-1' }, predicate: (i) => i.status === 'COMPLETED' },
    { timeoutMs: 30_000 },
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs, { timeoutMs: 10_000 });
  await waitFor(() => again.counted('JobsSucceeded') === 1, { description: 'one success', timeoutMs: 5_000 });
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 1);
});
