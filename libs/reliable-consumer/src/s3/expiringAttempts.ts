import type { S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import type { HttpRequest } from '@smithy/types';

/**
 * S3 refuses a presigned request that arrives after `X-Amz-Date + X-Amz-Expires` (403 AccessDenied,
 * "Request has expired"), by its own clock, when the request reaches it. That makes an expiry the
 * storage-side fence a lease needs: a holder paused between its last lease check and the socket
 * write (SIGSTOP, a long GC, a frozen VM) cannot have its upload accepted once the lease it signed
 * under has run out, however late the bytes go out. No client-side check can give that: the pause
 * can always fall after the check.
 *
 * The request is signed exactly as the SDK would sign it (its own SigV4 presigner, the client's
 * credentials and region); only the authorisation moves from the headers to the query string so that
 * it can carry an expiry. Every other header stays a signed header.
 */

/** S3's expiry has one-second resolution: an attempt needs this much time left to be signable. */
export const MIN_SIGNED_WINDOW_MS = 1_000;
/** SigV4's longest presign validity. */
const MAX_EXPIRES_IN_S = 604_800;

/** When an attempt is signed and until when S3 accepts it (both on the client's clock). */
export interface SigningWindow {
  signingDate: Date;
  /** Whole seconds after `signingDate` (the SigV4 `X-Amz-Expires`). */
  expiresIn: number;
  /** Epoch ms after which S3 refuses the attempt: never later than the deadline it was made for. */
  expiresAt: number;
}

/**
 * The window for an attempt that must not be accepted after `nowMs + remainingMs`. X-Amz-Date is
 * truncated to the second, so the expiry is the deadline rounded DOWN to a whole second; undefined
 * when no whole second lies between now and the deadline (less than MIN_SIGNED_WINDOW_MS left may
 * be too little).
 */
export function signingWindow(nowMs: number, remainingMs: number): SigningWindow | undefined {
  if (!Number.isFinite(nowMs) || !Number.isFinite(remainingMs)) return undefined;
  const expirySecond = Math.floor((nowMs + remainingMs) / 1000);
  const signingSecond = Math.floor(nowMs / 1000);
  if (expirySecond <= signingSecond) return undefined;
  const expiresIn = Math.min(expirySecond - signingSecond, MAX_EXPIRES_IN_S);
  return {
    signingDate: new Date(signingSecond * 1000),
    expiresIn,
    expiresAt: (signingSecond + expiresIn) * 1000,
  };
}

/** Re-signs one attempt of an S3 request with an expiry. */
export interface AttemptPresigner {
  /** The client's clock, corrected by the SDK's measured skew to S3 (epoch ms). */
  now(): number;
  /** `request` as the SDK signed it (headers); returns the same request signed in its query. */
  presign(request: HttpRequest, window: SigningWindow, signingRegion?: string): Promise<HttpRequest>;
}

/** Headers the SDK's header signature added; the query signature replaces them all. */
const HEADER_AUTH = ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/**
 * An AttemptPresigner with the client's own credentials, region and clock correction. Built once per
 * client in a service's main.ts.
 */
export function createAttemptPresigner(client: S3Client): AttemptPresigner {
  const presigner = new S3RequestPresigner({ ...client.config });
  return {
    now: () => Date.now() + (client.config.systemClockOffset ?? 0),
    async presign(request, window, signingRegion) {
      const unsigned: HttpRequest = {
        ...request,
        headers: { ...request.headers },
        query: { ...request.query },
      };
      for (const name of Object.keys(unsigned.headers))
        if (HEADER_AUTH.includes(name.toLowerCase())) delete unsigned.headers[name];
      // Keep every x-amz-* header (checksum, metadata, checksum algorithm) a header: only the
      // authorisation itself goes to the query string.
      const unhoistableHeaders = new Set(
        Object.keys(unsigned.headers)
          .map((name) => name.toLowerCase())
          .filter((name) => name.startsWith('x-amz-')),
      );
      return presigner.presign(unsigned, {
        signingDate: window.signingDate,
        expiresIn: window.expiresIn,
        unhoistableHeaders,
        ...(signingRegion === undefined ? {} : { signingRegion }),
      });
    },
  };
}

/** S3's answer to an attempt that arrived after its expiry (403 AccessDenied "Request has expired"). */
export function isExpiredRefusal(error: { name?: string; message?: string }): boolean {
  return error.name === 'AccessDenied' && /request has expired/i.test(error.message ?? '');
}
