// @platform/image-jobs: the producer side of image jobs. Submit (idempotent per job id), read the
// state, list the jobs that need a person, cancel, and get a result URL. Services other than the
// image worker talk to it only through this library (or plain SQS messages).
export {
  ATTENTION_INDEX,
  ATTENTION_STATES,
  DEFAULT_URL_EXPIRES_SECONDS,
  JOB_STATES,
  MAX_URL_EXPIRES_SECONDS,
  TERMINAL_STATES,
  type AttentionState,
  type JobState,
} from './constants.ts';
export {
  ImageJobsError,
  InvalidOptionError,
  JobIdConflictError,
  JobNotCompletedError,
  JobNotFoundError,
  JobNotResubmittableError,
  SubmitSendError,
} from './errors.ts';
export { attentionIndexKeys, stateOf, toJobView } from './record.ts';
export { IDENTITY_FIELDS, requestHashOf } from './requestIdentity.ts';
export { resubmitImageJob, submitImageJob, submitImageJobs } from './submit.ts';
export { getJob, listJobs, type ListJobsOptions } from './query.ts';
export { cancelJob, type CancelResult } from './cancel.ts';
export { resultUrl } from './resultUrl.ts';
export type {
  BatchItemResult,
  CallOptions,
  ImageJobsDeps,
  ImageJobsTarget,
  JobError,
  JobResult,
  JobView,
  SubmitOptions,
  SubmitResult,
} from './types.ts';
