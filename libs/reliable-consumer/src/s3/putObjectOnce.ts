import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  type HeadObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware, HttpRequest } from '@smithy/types';
import { ObjectConflictError } from '../errors.ts';
import { sdkErrorInfo, TransientError } from '@platform/errors';
import {
  isExpiredRefusal,
  signingWindow,
  type AttemptPresigner,
  MIN_SIGNED_WINDOW_MS,
} from './expiringAttempts.ts';

export interface PutObjectOnceInput {
  Bucket: string;
  Key: string;
  Body: Uint8Array | string;
  ContentType: string;
  /** e.g. `public, max-age=31536000, immutable` for a key that is never overwritten. */
  CacheControl?: string;
  Metadata?: Record<string, string>;
}

export interface PutObjectOnceOptions {
  signal?: AbortSignal;
  /** Retries of a 409 ConditionalRequestConflict (a concurrent conditional write to the same key). Default 3. */
  retries?: number;
  /** Base of the 409 backoff, ms. Default 100. */
  retryBaseMs?: number;
  /** [0,1) for jitter; default Math.random. */
  random?: () => number;
  /**
   * HEAD the key before the PUT: same checksum -> `already-present` without re-sending the bytes,
   * different -> ObjectConflictError. For retries, where an earlier attempt may have uploaded and
   * died before recording it; a first attempt skips the extra request. Default false. The PUT stays
   * conditional either way, so a writer racing in between the HEAD and the PUT is still caught.
   */
  headFirst?: boolean;
  /**
   * Called right before EVERY attempt the SDK sends, its own retries included; throw to stop the
   * upload. A holder passes its lease check here: checking once before `send` is not enough, since
   * a retry after a 503 or a lost answer can go out after a pause long past the lease. With
   * `acceptedWithin` it must leave at least MIN_SIGNED_WINDOW_MS (else it throws).
   */
  beforeEachAttempt?: () => void;
  /**
   * The storage-side fence of a lease: every attempt (the SDK's retries too) is signed to expire
   * `remainingMs()` from when it is signed (rounded down to S3's whole second), so S3 itself refuses
   * it (403 "Request has expired") if it arrives later: a holder paused past its lease between the
   * last check and the socket write uploads nothing. An attempt refused that way is signed afresh,
   * after `beforeEachAttempt` has passed again. See expiringAttempts.ts.
   */
  acceptedWithin?: { presigner: AttemptPresigner; remainingMs: () => number };
  /**
   * The body's SHA-256 (hex) when the caller already has it (the image worker's render thread
   * hashes what it encoded), sparing a second pass over the bytes on this thread. Trusting it is
   * safe: it becomes the PUT's `x-amz-checksum-sha256`, which S3 verifies against the bytes it
   * receives, so a wrong value is refused (BadDigest), never stored.
   */
  sha256?: string;
}

export interface PutObjectOnceResult {
  kind: 'uploaded' | 'already-present';
  /** Hex SHA-256 of the body (also stored as object metadata `sha256`). */
  sha256: string;
  bytes: number;
  etag: string | undefined;
}

type AttemptMiddleware = FinalizeRequestMiddleware<PutObjectCommandInput, PutObjectCommandOutput>;

/** Metadata key holding the hex SHA-256, for stores that do not return S3 checksums on HEAD. */
const SHA256_METADATA_KEY = 'sha256';

function httpStatus(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? sdkErrorInfo(error).status : undefined;
}

/**
 * Writes an object exactly once per key. `IfNoneMatch: '*'` makes S3 refuse to overwrite (412), so
 * two workers racing on one job, or a retry after a crash between upload and ledger write, can never
 * replace the object; the SHA-256 checksum makes S3 verify the bytes it stored.
 *
 * On 412 the stored object is compared by SHA-256: the same bytes mean an earlier attempt already
 * succeeded (`already-present`); different bytes mean two different outputs for one key, which is
 * a bug (non-deterministic rendering) and is thrown loudly as a permanent ObjectConflictError.
 * 409 ConditionalRequestConflict (S3 resolving concurrent conditional writes) is retried.
 */
export async function putObjectOnce(
  s3: Pick<S3Client, 'send'>,
  input: PutObjectOnceInput,
  options: PutObjectOnceOptions = {},
): Promise<PutObjectOnceResult> {
  const body = typeof input.Body === 'string' ? Buffer.from(input.Body, 'utf8') : input.Body;
  const digest =
    options.sha256 !== undefined && /^[0-9a-f]{64}$/.test(options.sha256)
      ? Buffer.from(options.sha256, 'hex')
      : createHash('sha256').update(body).digest();
  const sha256 = digest.toString('hex');
  const checksumBase64 = digest.toString('base64');
  const retries = options.retries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const random = options.random ?? Math.random;
  const call = { abortSignal: options.signal };
  const ours = { sha256, checksumBase64, bytes: body.byteLength };
  const { beforeEachAttempt, acceptedWithin } = options;
  // Until when S3 accepts the attempt last sent (client clock); undefined when not signed to expire.
  let lastExpiresAt: number | undefined;
  let expiredRefusals = 0;

  if (options.headFirst === true) {
    const head = await headIfPresent(s3, input, call);
    if (head !== undefined) return compareExisting(input, head, ours);
  }

  for (let attempt = 0; ; attempt += 1) {
    try {
      const put = new PutObjectCommand({
        Bucket: input.Bucket,
        Key: input.Key,
        Body: body,
        ContentType: input.ContentType,
        CacheControl: input.CacheControl,
        ContentLength: body.byteLength,
        Metadata: { ...input.Metadata, [SHA256_METADATA_KEY]: sha256 },
        IfNoneMatch: '*',
        ChecksumAlgorithm: 'SHA256',
        // Sent as computed here, so the stored checksum is exactly the one we compare later.
        ChecksumSHA256: checksumBase64,
      });
      if (beforeEachAttempt !== undefined || acceptedWithin !== undefined) {
        // After the SDK's retry step and its signature, so once per attempt and right before the
        // attempt leaves: the lease check, then the signature that S3 refuses after the lease.
        const attemptMiddleware: AttemptMiddleware = (next, context) => async (args) => {
          beforeEachAttempt?.();
          if (acceptedWithin === undefined) return next(args);
          const { presigner } = acceptedWithin;
          const window = signingWindow(presigner.now(), acceptedWithin.remainingMs());
          if (window === undefined)
            throw new Error(
              `less than a whole second of lease left to sign the upload of ${input.Key}: beforeEachAttempt must require ${MIN_SIGNED_WINDOW_MS} ms`,
            );
          lastExpiresAt = window.expiresAt;
          const region = (context as { signing_region?: unknown }).signing_region;
          const request = await presigner.presign(
            args.request as HttpRequest,
            window,
            typeof region === 'string' ? region : undefined,
          );
          return next({ ...args, request });
        };
        put.middlewareStack.addRelativeTo(attemptMiddleware, {
          relation: 'after',
          toMiddleware: 'httpSigningMiddleware',
          name: 'attemptDeadlineMiddleware',
        });
      }
      const output = await s3.send(put, call);
      return { kind: 'uploaded', sha256, bytes: body.byteLength, etag: output.ETag };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 412) {
        const head = await s3.send(
          new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key, ChecksumMode: 'ENABLED' }),
          call,
        );
        return compareExisting(input, head, ours);
      }
      if (
        status === 403 &&
        lastExpiresAt !== undefined &&
        error instanceof S3ServiceException &&
        (isExpiredRefusal(error) || acceptedWithin!.presigner.now() >= lastExpiresAt)
      ) {
        // Arrived after its signature's expiry (a pause, a slow network): S3 took nothing. Another
        // attempt is signed only if the lease check passes again.
        expiredRefusals += 1;
        if (expiredRefusals <= retries) continue;
        throw new TransientError(
          'S3_REQUEST_EXPIRED',
          `every signed PUT of ${input.Key} reached S3 after its expiry`,
          {
            cause: error,
          },
        );
      }
      if (status === 409 && attempt < retries) {
        // Full jitter so racing writers do not collide again in lockstep.
        await delay(Math.floor(random() * retryBaseMs * 2 ** attempt), undefined, { signal: options.signal });
        continue;
      }
      throw error;
    }
  }
}

async function headIfPresent(
  s3: Pick<S3Client, 'send'>,
  input: PutObjectOnceInput,
  call: { abortSignal: AbortSignal | undefined },
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(
      new HeadObjectCommand({ Bucket: input.Bucket, Key: input.Key, ChecksumMode: 'ENABLED' }),
      call,
    );
  } catch (error) {
    if (error instanceof NotFound || httpStatus(error) === 404) return undefined;
    throw error;
  }
}

function compareExisting(
  input: PutObjectOnceInput,
  head: HeadObjectCommandOutput,
  ours: { sha256: string; checksumBase64: string; bytes: number },
): PutObjectOnceResult {
  // Prefer S3's own checksum (verified by S3 at write time); fall back to the metadata we wrote.
  // A composite checksum (multipart, "<base64>-<parts>") is not the object's digest.
  const storedChecksum = head.ChecksumSHA256;
  const storedHex =
    storedChecksum !== undefined && !storedChecksum.includes('-')
      ? Buffer.from(storedChecksum, 'base64').toString('hex')
      : head.Metadata?.[SHA256_METADATA_KEY];
  if (storedHex !== ours.sha256) {
    throw new ObjectConflictError({
      bucket: input.Bucket,
      key: input.Key,
      expectedSha256: ours.sha256,
      storedSha256: storedHex,
    });
  }
  return { kind: 'already-present', sha256: ours.sha256, bytes: ours.bytes, etag: head.ETag };
}
