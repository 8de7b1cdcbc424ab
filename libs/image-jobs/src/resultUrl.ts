import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DEFAULT_URL_EXPIRES_SECONDS, MAX_URL_EXPIRES_SECONDS } from './constants.ts';
import { getItem } from './ddb.ts';
import { InvalidOptionError, JobNotCompletedError, JobNotFoundError } from './errors.ts';
import { toJobView } from './record.ts';
import type { CallOptions, ImageJobsDeps, ImageJobsTarget, JobView } from './types.ts';

/**
 * A presigned GET URL for a COMPLETED job's image: anyone holding it may download the object until
 * it expires, without AWS credentials. Any other state throws JobNotCompletedError (a typed error
 * with the state), an unknown job JobNotFoundError.
 */
export async function resultUrl(
  deps: ImageJobsDeps,
  jobId: string,
  options: ImageJobsTarget & CallOptions & { expiresInSeconds?: number },
): Promise<{ url: string; expiresAt: number; job: JobView }> {
  const s3 = deps.s3;
  if (s3 === undefined) throw new InvalidOptionError('deps.s3 is required');
  const expiresIn = options.expiresInSeconds ?? DEFAULT_URL_EXPIRES_SECONDS;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_URL_EXPIRES_SECONDS) {
    throw new InvalidOptionError(
      `expiresInSeconds must be an integer between 1 and ${MAX_URL_EXPIRES_SECONDS} (7 days, the SigV4 limit), received ${expiresIn}`,
    );
  }
  const item = await getItem(deps, options.tableName, jobId, options);
  if (item === undefined) throw new JobNotFoundError(jobId, options.tableName);
  const job = toJobView(item);
  if (job.state !== 'COMPLETED' || job.result === undefined) throw new JobNotCompletedError(jobId, job.state);
  const now = (deps.clock ?? Date.now)();
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({ Bucket: job.result.bucket, Key: job.result.key }),
    {
      expiresIn,
      signingDate: new Date(now),
    },
  );
  return { url, expiresAt: now + expiresIn * 1000, job };
}
