import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getJob } from '@platform/image-jobs';
import { shareCardJobId } from '../domain/shareCard.ts';

export interface ShareCardImage {
  body: Uint8Array;
  contentType: string;
}

/** Reads an invitation's card: its state from the image-jobs ledger, its bytes from S3. */
export interface ShareCardStore {
  /** True once image-worker completed the invitation's card job (the ledger, strongly consistent). */
  isReady(invitationId: string): Promise<boolean>;
  /** The card's bytes; undefined while it does not exist (no job, not completed, object missing). */
  read(invitationId: string): Promise<ShareCardImage | undefined>;
}

export function createShareCardStore(
  deps: { ddb: Pick<DynamoDBDocumentClient, 'send'>; s3: Pick<S3Client, 'send'> },
  options: { tableName: string; bucket: string },
): ShareCardStore {
  async function completedKey(invitationId: string): Promise<string | undefined> {
    const jobId = shareCardJobId(invitationId);
    if (jobId === undefined) return undefined;
    const job = await getJob({ ddb: deps.ddb }, jobId, { tableName: options.tableName });
    // Only our own bucket: the key comes from the ledger, the bucket from config.
    if (job?.state !== 'COMPLETED' || job.result === undefined || job.result.bucket !== options.bucket) {
      return undefined;
    }
    return job.result.key;
  }

  return {
    async isReady(invitationId) {
      return (await completedKey(invitationId)) !== undefined;
    },
    async read(invitationId) {
      const key = await completedKey(invitationId);
      if (key === undefined) return undefined;
      try {
        const object = await deps.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        if (object.Body === undefined) return undefined;
        return {
          body: await object.Body.transformToByteArray(),
          contentType: object.ContentType ?? 'image/png',
        };
      } catch (error) {
        // COMPLETED but gone (e.g. a lifecycle rule expired it): the fallback, not an error page.
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
  };
}
