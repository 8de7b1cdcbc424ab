import { HeadObjectCommand, NotFound, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';

/**
 * The SHA-256 (hex) of the object under `key`, or undefined when there is none. Reads S3's own
 * checksum (verified by S3 at write time) and falls back to the `sha256` metadata putObjectOnce
 * writes, for stores that do not return checksums on HEAD.
 *
 * Used before re-uploading on a retry: a previous attempt may have uploaded and then died before
 * the ledger write. Rendering is deterministic, so the same sha256 proves it is our image and the
 * upload is skipped. (On real S3, putObjectOnce's `If-None-Match: *` would refuse the overwrite
 * anyway; checking first also spares re-sending the bytes.)
 */
export async function storedObjectSha256(
  s3: S3Client,
  location: { bucket: string; key: string },
  signal: AbortSignal,
): Promise<string | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: location.key, ChecksumMode: 'ENABLED' }),
      { abortSignal: signal },
    );
    const checksum = head.ChecksumSHA256;
    // A composite checksum (multipart, "<base64>-<parts>") is not the object's digest; use the metadata then.
    if (checksum !== undefined && !checksum.includes('-'))
      return Buffer.from(checksum, 'base64').toString('hex');
    return head.Metadata?.sha256 ?? '';
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
    throw error;
  }
}
