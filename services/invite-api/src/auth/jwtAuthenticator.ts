import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { safeDisplayName } from '../domain/displayName.ts';
import type { Caller } from '../domain/invitation.ts';
import { AppError } from '../errors.ts';

export type JwtKeySource =
  /** Local and tests: a shared HS256 secret (at least 32 bytes, the HS256 key size). */
  | { kind: 'secret'; secret: string }
  /** Production: the identity provider's public keys, fetched and cached by jose. */
  | { kind: 'jwks'; url: string };

export interface JwtAuthenticatorOptions {
  key: JwtKeySource;
  issuer: string;
  audience: string;
  /** Allowed clock difference between the issuer and us, seconds. */
  clockToleranceSeconds: number;
}

export interface Authenticator {
  /** The caller of a request, from its Authorization header; throws AppError UNAUTHORIZED or SERVICE_UNAVAILABLE. */
  authenticate(authorization: string | undefined): Promise<Caller>;
}

// Asymmetric algorithms an identity provider's JWKS may use. Never 'none' (jose refuses unsecured
// tokens in jwtVerify anyway) and never HS* with a JWKS: a public key must not become an HMAC secret.
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
// Token length bound: a JWT with a few claims is well under 1 KiB; 8 KiB matches common header limits.
const MAX_TOKEN_LENGTH = 8192;
// `sub` becomes part of DynamoDB keys and logs: printable ASCII, bounded.
const SUBJECT_PATTERN = /^[\x21-\x7e]{1,128}$/;

const challenge = (error: 'invalid_request' | 'invalid_token') => ({
  'WWW-Authenticate': `Bearer realm="invite-api", error="${error}"`,
});

function unauthorized(
  reason: string,
  message: string,
  error: 'invalid_request' | 'invalid_token' = 'invalid_token',
) {
  return new AppError('UNAUTHORIZED', message, { details: { reason }, headers: challenge(error) });
}

/** Bearer JWT verification with jose: signature, algorithm, exp/nbf, issuer and audience. */
export function createJwtAuthenticator(
  options: JwtAuthenticatorOptions,
  deps: { clock?: () => number } = {},
): Authenticator {
  const { key, algorithms } = keyOf(options.key);
  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === '') {
        throw unauthorized(
          'MISSING_TOKEN',
          'Authentication required: send Authorization: Bearer <token>',
          'invalid_request',
        );
      }
      const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(authorization.trim());
      if (match?.[1] === undefined || match[1].length > MAX_TOKEN_LENGTH) {
        throw unauthorized(
          'MALFORMED_AUTHORIZATION',
          'Authorization must be "Bearer <token>"',
          'invalid_request',
        );
      }
      let payload;
      try {
        ({ payload } = await jwtVerify(match[1], key, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
          ...(deps.clock === undefined ? {} : { currentDate: new Date(deps.clock()) }),
        }));
      } catch (error) {
        throw translate(error, options.key.kind);
      }
      if (typeof payload.sub !== 'string' || !SUBJECT_PATTERN.test(payload.sub)) {
        throw unauthorized('INVALID_SUBJECT', 'The token has no usable subject');
      }
      // Where the display name enters the system: made safe here, once, for the SMS and every queue.
      return { userId: payload.sub, name: safeDisplayName(payload.name) };
    },
  };
}

function keyOf(source: JwtKeySource): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if (source.kind === 'secret')
    return { key: new TextEncoder().encode(source.secret), algorithms: ['HS256'] };
  return {
    // jose caches the key set, refetches it on an unknown kid (at most every cooldownDuration) and
    // bounds each fetch; a key rotation at the provider is picked up without a restart.
    key: createRemoteJWKSet(new URL(source.url), { timeoutDuration: 3000, cooldownDuration: 30_000 }),
    algorithms: JWKS_ALGORITHMS,
  };
}

/** jose's failures -> 401 with a reason the client can act on; key-set outages -> 503 (not the client's fault). */
function translate(error: unknown, keyKind: JwtKeySource['kind']): AppError {
  if (error instanceof errors.JWTExpired) return unauthorized('TOKEN_EXPIRED', 'The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return unauthorized('CLAIM_INVALID', `The token's "${error.claim}" claim is not accepted`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized(
      'ALGORITHM_NOT_ALLOWED',
      'The token is signed with an algorithm this API does not accept',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized('BAD_SIGNATURE', 'The token signature is not valid');
  }
  if (keyKind === 'jwks' && isKeySetOutage(error)) {
    // Fetching the key set failed (network, timeout, bad response): not the client's fault.
    return new AppError('SERVICE_UNAVAILABLE', 'Authentication is temporarily unavailable', {
      cause: error,
      headers: { 'Retry-After': '5' },
      isOperational: false,
    });
  }
  return unauthorized('INVALID_TOKEN', 'The token is not a valid JWT');
}

function isKeySetOutage(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  // fetch() failures (TypeError, AbortError) and jose's "Expected 200 OK from the JSON Web Key Set HTTP response".
  if (!(error instanceof errors.JOSEError)) return true;
  return error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/i.test(error.message);
}
