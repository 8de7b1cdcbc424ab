/**
 * The jobs CLI: `npm run jobs -- <command>`. Talks to the same queues, table and bucket as the worker
 * (see environment.ts for how it finds them). Errors print one line on stderr and exit non-zero:
 * 1 failed, 2 bad usage or input, 3 not found, 4 not allowed in the job's state.
 */
import { Command, InvalidArgumentError } from 'commander';
import { dlqListCommand, dlqRedriveCommand, type RedriveOptions } from './dlq.ts';
import { resolveCliEnvironment, type CliEnvironment } from './environment.ts';
import { CliError, EXIT, stdoutOutput } from './output.ts';
import { cancelCommand, listCommand, resubmitCommand, urlCommand } from './manage.ts';
import { getCommand, statusCommand } from './status.ts';
import { submitCommand, type SubmitOptions } from './submit.ts';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function run(action: (env: CliEnvironment) => Promise<void>): Promise<void> {
  const env = await resolveCliEnvironment();
  try {
    await action(env);
  } finally {
    env.close();
  }
}

const program = new Command()
  .name('jobs')
  .description('Submit and inspect image jobs, and work the dead-letter queue.')
  .showHelpAfterError()
  .exitOverride((error) => {
    // Usage errors exit 2 (commander's message is already printed); --help and --version exit 0.
    process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  });

program
  .command('submit')
  .description('submit one job (flags or --file), or --count N demo jobs with a progress bar')
  .option('-t, --template <name>', 'card, gradient or fractal')
  .option('-w, --width <px>', 'image width', integer)
  .option('-H, --height <px>', 'image height', integer)
  .option('-f, --format <format>', 'png, jpeg or webp')
  .option('-p, --param <name=value>', 'a template parameter (repeatable)', collect)
  .option('--params <json>', 'template parameters as a JSON object')
  .option('--job-id <id>', 'the job id (default: generated)')
  .option('--file <job.json>', 'a job, or an array of jobs, as JSON')
  .option('-n, --count <n>', 'submit N demo jobs of --template', integer)
  .option('--requested-by <who>', 'recorded with the job', 'cli')
  .option('--correlation-id <id>', "your request or batch id, echoed in the job's events")
  .option('--no-progress', 'no progress bar')
  .action((options: SubmitOptions) => run((env) => submitCommand(env, options, stdoutOutput)));

program
  .command('status')
  .description('one job: state, attempts, timestamps, last error, result, and what to do next')
  .argument('<jobId>')
  .option('--json', 'JSON output')
  .action((jobId: string, options: { json?: boolean }) =>
    run((env) => statusCommand(env, jobId, options, stdoutOutput)),
  );

program
  .command('list')
  .description('jobs that need a person: FAILED, DEAD_LETTERED or CANCELLED (from the sparse index)')
  .requiredOption('--status <state>', 'FAILED, DEAD_LETTERED or CANCELLED')
  .option('--since <when>', 'an ISO time or a duration back from now (24h, 7d); default 7d')
  .option('--limit <n>', 'at most this many, newest first', integer, 100)
  .option('--json', 'JSON output')
  .action((options: { status: string; since?: string; limit: number; json?: boolean }) =>
    run((env) => listCommand(env, options, stdoutOutput)),
  );

program
  .command('url')
  .description("a presigned GET URL for a completed job's image (prints only the URL)")
  .argument('<jobId>')
  .option('--expires <duration>', 'how long the URL works: 90s, 15m, 2h, up to 7d', '15m')
  .action((jobId: string, options: { expires: string }) =>
    run((env) => urlCommand(env, jobId, options, stdoutOutput)),
  );

program
  .command('cancel')
  .description('cancel a QUEUED or PROCESSING job (says so when it already completed)')
  .argument('<jobId>')
  .option('--reason <text>', 'recorded with the cancel')
  .action((jobId: string, options: { reason?: string }) =>
    run((env) => cancelCommand(env, jobId, options, stdoutOutput)),
  );

program
  .command('resubmit')
  .description("re-send QUEUED jobs' stored requests (a submit that recorded the job but never sent it)")
  .argument('<jobId...>')
  .action((jobIds: string[]) => run((env) => resubmitCommand(env, jobIds, stdoutOutput)));

program
  .command('get')
  .description("download a completed job's image")
  .argument('<jobId>')
  .requiredOption('-o, --output <file>', 'where to write the image')
  .action((jobId: string, options: { output: string }) =>
    run((env) => getCommand(env, jobId, options.output, stdoutOutput)),
  );

const dlq = program.command('dlq').description('inspect and redrive the dead-letter queue');
dlq
  .command('list')
  .description('list dead-lettered jobs with their reason (messages stay in the DLQ)')
  .option('--max <n>', 'at most this many', integer, 50)
  .option('--json', 'JSON output')
  .action((options: { max: number; json?: boolean }) =>
    run((env) => dlqListCommand(env, options, stdoutOutput)),
  );
dlq
  .command('redrive')
  .description('move dead-lettered jobs back to the image-jobs queue')
  .option('--max <n>', 'at most this many (copy method)', integer, 1000)
  .option('--reason <code>', 'only messages with this dlq-reason (copy method)')
  .option('--dry-run', 'show what would move (copy method)')
  .option(
    '--method <method>',
    'auto | move-task (SQS StartMessageMoveTask) | copy (receive, send, delete)',
    'auto',
  )
  .action((options: RedriveOptions) => {
    if (!['auto', 'move-task', 'copy'].includes(options.method)) {
      throw new CliError(`--method must be auto, move-task or copy, received ${options.method}`, {
        exitCode: EXIT.usage,
      });
    }
    return run((env) => dlqRedriveCommand(env, options, stdoutOutput));
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    process.exitCode = EXIT.failed;
  }
}
