import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImageJobRequested } from '@platform/contracts';
import type { JobState } from './constants.ts';

export interface ImageJobsDeps {
  /** A document client (plain JS values); only `send` is used. */
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  /** Needed by submit and resubmit. */
  sqs?: Pick<SQSClient, 'send'>;
  /** Needed by resultUrl: the presigner signs with this client's credentials, region and endpoint. */
  s3?: S3Client;
  /** Epoch milliseconds. */
  clock?: () => number;
}

export interface ImageJobsTarget {
  /** The image-jobs ledger table (partition key jobId, sparse index byAttentionStatus). */
  tableName: string;
  /** The image-jobs queue; needed by submit and resubmit. */
  queueUrl?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SubmitOptions extends ImageJobsTarget, CallOptions {
  /** How long an unprocessed record is kept before TTL may delete it, ms. Default 30 days. */
  retentionMs?: number;
}

export type SubmitResult =
  /** The record was written and the message sent. */
  | { kind: 'submitted'; job: JobView; messageId: string }
  /**
   * The job id was already submitted with the same request: nothing new was written. If the first
   * submit never got its message out (a crash between the two), the message is sent now
   * (`messageId` set), so repeating a submit is also how a producer heals that crash.
   */
  | { kind: 'existing'; job: JobView; messageId?: string };

export type BatchItemResult =
  { jobId: string; ok: true; result: SubmitResult } | { jobId: string; ok: false; error: Error };

export interface JobError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface JobResult {
  s3Uri: string;
  bucket: string;
  key: string;
  contentType: string;
  bytes: number;
  sha256: string;
  durationMs: number | undefined;
}

/** A job as a producer reads it. Times are epoch milliseconds. */
export interface JobView {
  jobId: string;
  state: JobState;
  /** Processing attempts (lease acquisitions). */
  attempts: number;
  queuedAt: number | undefined;
  startedAt: number | undefined;
  completedAt: number | undefined;
  failedAt: number | undefined;
  cancelledAt: number | undefined;
  /** Why it was cancelled, as the canceller said. */
  cancelReason: string | undefined;
  updatedAt: number | undefined;
  /** When the submit's message was confirmed sent; undefined on a QUEUED job = never sent (resubmit it). */
  messageSentAt: number | undefined;
  messageId: string | undefined;
  leaseOwner: string | undefined;
  leaseExpiresAt: number | undefined;
  lastError: JobError | undefined;
  /** COMPLETED only. */
  result: JobResult | undefined;
  /** The request as submitted through the library (absent for SQS-only producers). */
  request: ImageJobRequested | undefined;
  correlationId: string | undefined;
  requestedBy: string | undefined;
  /** A completion/failure event not yet confirmed published (see docs/image-worker.md). */
  eventPending: boolean;
}
