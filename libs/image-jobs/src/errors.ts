import type { JobState } from './constants.ts';
import type { JobView } from './types.ts';

/** Base class of every error this library throws on purpose (ContractViolation aside). */
export class ImageJobsError extends Error {
  override readonly name: string = 'ImageJobsError';
  /** Stable, machine-readable code. */
  readonly code: string;
  readonly jobId: string;

  constructor(code: string, jobId: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.jobId = jobId;
  }
}

/** A submit under a job id already used for a different image request. Use a new job id. */
export class JobIdConflictError extends ImageJobsError {
  override readonly name = 'JobIdConflictError';
  /** The job as stored under that id. */
  readonly existing: JobView;
  /** Request fields whose values differ (template, width, height, format, params). */
  readonly differingFields: readonly string[];

  constructor(existing: JobView, differingFields: readonly string[]) {
    super(
      'JOB_ID_CONFLICT',
      existing.jobId,
      `job ${existing.jobId} already exists with a different request (${differingFields.join(', ') || 'unknown fields'}); submit it under a new job id`,
    );
    this.existing = existing;
    this.differingFields = differingFields;
  }
}

export class JobNotFoundError extends ImageJobsError {
  override readonly name = 'JobNotFoundError';

  constructor(jobId: string, table: string) {
    super(
      'JOB_NOT_FOUND',
      jobId,
      `no record of job ${jobId} in ${table}: never submitted through the library, or its message has not been picked up yet`,
    );
  }
}

/** The job has no result (yet, or ever): only COMPLETED jobs have one. */
export class JobNotCompletedError extends ImageJobsError {
  override readonly name = 'JobNotCompletedError';
  readonly state: JobState;

  constructor(jobId: string, state: JobState) {
    super(
      'JOB_NOT_COMPLETED',
      jobId,
      `job ${jobId} is ${state}, not COMPLETED: there is no image${state === 'QUEUED' || state === 'PROCESSING' ? ' yet' : ''}`,
    );
    this.state = state;
  }
}

/** Resubmit re-sends a QUEUED job's stored request; any other state (or no stored request) is refused. */
export class JobNotResubmittableError extends ImageJobsError {
  override readonly name = 'JobNotResubmittableError';
  readonly state: JobState;

  constructor(jobId: string, state: JobState, why: string) {
    super('JOB_NOT_RESUBMITTABLE', jobId, `job ${jobId} is ${state}: ${why}`);
    this.state = state;
  }
}

export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError';
}

/**
 * The job is recorded QUEUED but its message could not be sent (the cause says why). Nothing is
 * lost: submit again with the same job id, or `resubmitImageJob`, when the queue is reachable.
 */
export class SubmitSendError extends ImageJobsError {
  override readonly name = 'SubmitSendError';

  constructor(jobId: string, cause: unknown) {
    super(
      'SUBMIT_SEND_FAILED',
      jobId,
      `job ${jobId} is recorded QUEUED but its message was not sent (${cause instanceof Error ? cause.message : String(cause)}); submit it again with the same job id or run \`jobs resubmit ${jobId}\``,
      { cause },
    );
  }
}
