import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ContractViolation, type ImageJobRequestedV1 } from '@platform/contracts';
import { SingleBar, Presets } from 'cli-progress';
import { DEMO_TEMPLATES, demoJob, type DemoTemplate } from '../demo.ts';
import { JobIdConflictError, submitImageJobs, type BatchItemResult } from '@platform/image-jobs';
import type { CliEnvironment } from './environment.ts';
import { CliError, EXIT, type Output } from './output.ts';

export interface SubmitOptions {
  file?: string;
  count?: number;
  template?: string;
  width?: number;
  height?: number;
  format?: string;
  param?: string[];
  params?: string;
  jobId?: string;
  requestedBy?: string;
  correlationId?: string;
  progress?: boolean;
}

export async function submitCommand(env: CliEnvironment, options: SubmitOptions, out: Output): Promise<void> {
  const jobs = await jobsFrom(options);
  const bar =
    options.count !== undefined && options.progress !== false
      ? new SingleBar(
          { format: 'submitting [{bar}] {value}/{total} jobs', hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(jobs.length, 0);
  let results: BatchItemResult[];
  try {
    results = await submitImageJobs(env.jobs.deps, jobs, {
      ...env.jobs.target,
      onResult: () => bar?.increment(),
    });
  } finally {
    bar?.stop();
  }
  const failures = results.filter((r) => !r.ok);
  if (jobs.length === 1 && failures[0] !== undefined && !failures[0].ok) throw asCliError(failures[0].error);

  const done = results.filter((r): r is Extract<BatchItemResult, { ok: true }> => r.ok);
  const existing = done.filter((r) => r.result.kind === 'existing');
  if (jobs.length === 1 && done[0] !== undefined) {
    const { result } = done[0];
    out.line(
      result.kind === 'submitted'
        ? `submitted ${done[0].jobId} (message ${result.messageId})`
        : `already submitted ${done[0].jobId}: ${result.job.state}${result.messageId === undefined ? '' : ` (its missing message sent now: ${result.messageId})`}`,
    );
    out.line(`  status: npm run jobs -- status ${done[0].jobId}`);
    return;
  }
  out.line(
    `submitted ${done.length - existing.length} jobs to ${env.queueUrl}` +
      (existing.length > 0 ? `; ${existing.length} were already submitted` : ''),
  );
  for (const { jobId } of done.slice(0, 10)) out.line(`  ${jobId}`);
  if (done.length > 10) out.line(`  … and ${done.length - 10} more`);
  for (const failure of failures) {
    if (!failure.ok)
      out.line(`  FAILED ${failure.jobId}: ${asCliError(failure.error).message.split('\n').join(' ')}`);
  }
  if (failures.length > 0) throw new CliError(`${failures.length} of ${jobs.length} job(s) not submitted`);
}

function asCliError(error: Error): CliError {
  if (error instanceof ContractViolation) {
    const details = error.errors.map((e) => `  ${e.path || '/'} ${e.message}`).join('\n');
    return new CliError(`the job does not match image.job.requested v1 (${error.reason}):\n${details}`, {
      exitCode: EXIT.usage,
      cause: error,
    });
  }
  if (error instanceof JobIdConflictError)
    return new CliError(error.message, { exitCode: EXIT.conflict, cause: error });
  if (error instanceof CliError) return error;
  return new CliError(error.message, { cause: error });
}

async function jobsFrom(options: SubmitOptions): Promise<ImageJobRequestedV1[]> {
  const requestedBy = options.requestedBy ?? 'cli';
  if (options.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(options.file, 'utf8'));
    } catch (error) {
      throw new CliError(
        `cannot read ${options.file}: ${error instanceof Error ? error.message : String(error)}`,
        {
          exitCode: EXIT.usage,
          cause: error,
        },
      );
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    // Convenience defaults for hand-written files; the schema check in encodeMessage does the rest.
    return list.map((job: unknown) => {
      if (typeof job !== 'object' || job === null)
        throw new CliError(`${options.file}: each job must be a JSON object`, { exitCode: EXIT.usage });
      return {
        jobId: `cli-${randomUUID()}`,
        requestedAt: new Date().toISOString(),
        requestedBy,
        ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
        params: {},
        ...(job as Partial<ImageJobRequestedV1>),
      } as ImageJobRequestedV1;
    });
  }

  if (options.count !== undefined) {
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > 100_000) {
      throw new CliError(`--count must be an integer between 1 and 100000, received ${options.count}`, {
        exitCode: EXIT.usage,
      });
    }
    const template = options.template ?? 'card';
    if (!(DEMO_TEMPLATES as readonly string[]).includes(template)) {
      throw new CliError(
        `--count makes demo jobs of ${DEMO_TEMPLATES.join(', ')}; received --template ${template}`,
        { exitCode: EXIT.usage },
      );
    }
    return Array.from({ length: options.count }, (_, index) =>
      demoJob(template as DemoTemplate, index, {
        requestedBy,
        ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
      }),
    );
  }

  if (options.template === undefined) {
    throw new CliError(
      'say what to submit: --template (with --width, --height, --format, --param), --file job.json, or --count N',
      {
        exitCode: EXIT.usage,
      },
    );
  }
  return [
    {
      jobId: options.jobId ?? `cli-${randomUUID()}`,
      template: options.template,
      width: options.width ?? 1200,
      height: options.height ?? 630,
      format: (options.format ?? 'png') as ImageJobRequestedV1['format'],
      params: { ...parseJsonParams(options.params), ...parseParams(options.param ?? []) },
      requestedAt: new Date().toISOString(),
      requestedBy,
      ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    },
  ];
}

/** `--param title=Hello --param iterations=300 --param dark=true`: numbers and booleans are typed. */
export function parseParams(pairs: readonly string[]): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1)
      throw new CliError(`--param wants name=value, received ${JSON.stringify(pair)}`, {
        exitCode: EXIT.usage,
      });
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    params[name] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw.trim() !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return params;
}

function parseJsonParams(json: string | undefined): Record<string, string | number | boolean> {
  if (json === undefined) return {};
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, string | number | boolean>;
  } catch (error) {
    throw new CliError(
      `--params must be a JSON object: ${error instanceof Error ? error.message : String(error)}`,
      {
        exitCode: EXIT.usage,
      },
    );
  }
}
