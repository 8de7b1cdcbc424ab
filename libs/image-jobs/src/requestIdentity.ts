import { createHash } from 'node:crypto';
import type { ImageJobRequested } from '@platform/contracts';
import { stringify } from 'safe-stable-stringify';

/**
 * The fields that decide which image a job makes. Two submits under one job id are "the same job"
 * when these agree; requestedAt, requestedBy and correlationId describe the asking (a retrying
 * producer regenerates them) and the first submit's values are kept.
 */
export const IDENTITY_FIELDS = ['template', 'width', 'height', 'format', 'params'] as const;

/** SHA-256 of the identity fields in a canonical (key-sorted) JSON form. */
export function requestHashOf(job: ImageJobRequested): string {
  const identity = Object.fromEntries(IDENTITY_FIELDS.map((field) => [field, job[field]]));
  return createHash('sha256')
    .update(stringify(identity) ?? '')
    .digest('hex');
}

/** Which identity fields differ between two requests (for the conflict error). */
export function differingFields(a: ImageJobRequested, b: ImageJobRequested): string[] {
  return IDENTITY_FIELDS.filter((field) => stringify(a[field]) !== stringify(b[field]));
}
