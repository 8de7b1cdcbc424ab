import { PermanentError, TransientError } from '@platform/errors';

/**
 * The image worker's errors. Whether each is worth a retry is fixed by its base class, and
 * `classifyError` from @platform/errors reads that, so no caller decides it again.
 */

/** A size or parameter beyond what this worker renders; the same job fails the same way every time. */
export class RenderLimitExceeded extends PermanentError {
  override readonly name = 'RenderLimitExceeded';
  readonly limit: string;
  readonly value: number;
  readonly max: number;

  constructor(limit: string, value: number, max: number, min = 1) {
    super('RENDER_LIMIT_EXCEEDED', `${limit} must be between ${min} and ${max}, received ${value}`, {
      details: { limit, value, max, min },
    });
    this.limit = limit;
    this.value = value;
    this.max = max;
  }
}

export class UnknownTemplate extends PermanentError {
  override readonly name = 'UnknownTemplate';
  readonly template: string;

  constructor(template: string, known: readonly string[]) {
    super('TEMPLATE_UNKNOWN', `unknown template ${JSON.stringify(template)}; known: ${known.join(', ')}`, {
      details: { template, known },
    });
    this.template = template;
  }
}

/** Template parameters that fail the template's own rules (the contract only bounds their shape). */
export class InvalidTemplateParams extends PermanentError {
  override readonly name = 'InvalidTemplateParams';
  readonly template: string;
  readonly problems: readonly string[];

  constructor(template: string, problems: readonly string[]) {
    super('TEMPLATE_PARAMS_INVALID', `template ${template}: ${problems.join('; ')}`, {
      details: { template, problems },
    });
    this.template = template;
    this.problems = problems;
  }
}

/** The render was stopped from outside (lease lost, shutdown): the job itself is fine, so retry. */
export class RenderCancelled extends TransientError {
  override readonly name = 'RenderCancelled';

  constructor(reason: unknown) {
    super('RENDER_CANCELLED', `render cancelled: ${describe(reason)}`, { cause: reason });
  }
}

/** The render thread died or threw something unexpected; a fresh thread on another attempt may succeed. */
export class RenderThreadFailed extends TransientError {
  override readonly name = 'RenderThreadFailed';

  constructor(cause: unknown) {
    super('RENDER_THREAD_FAILED', `render thread failed: ${describe(cause)}`, { cause });
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}
