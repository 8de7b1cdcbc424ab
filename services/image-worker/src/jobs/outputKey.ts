import type { ImageFormat } from '../render/spec.ts';

const EXTENSIONS: Readonly<Record<ImageFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * Where a job's image lives: a pure function of the job (its id and requested format), never of
 * time, attempt or worker. Every attempt and every duplicate delivery of one job therefore targets
 * the same key, which is what lets `If-None-Match: *` turn races and retries into one object.
 * jobIds are `[A-Za-z0-9][A-Za-z0-9_-]{0,127}` (contract), safe in a key as they are.
 */
export function outputKeyFor(jobId: string, format: ImageFormat): string {
  return `jobs/${jobId}.${EXTENSIONS[format]}`;
}

export function s3UriFor(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
