import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH, INVITE_CODE_PREFIX } from '../domain/inviteCode.ts';
import { INVITATION_STATUSES } from '../domain/status.ts';
import { DEFAULT_PAGE_SIZE, IDEMPOTENCY_KEY_PATTERN, MAX_PAGE_SIZE } from '../routes/constants.ts';

/**
 * The OpenAPI 3.1 document of the API: served at /openapi.json, rendered at /docs, the source of the
 * request-body schemas the routes validate with, and the schemas the contract tests validate every
 * real response against. Schemas use only JSON Schema 2020-12 keywords (OpenAPI 3.1's dialect).
 */

const INVITE_CODE_PATTERN = `^${INVITE_CODE_PREFIX}[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`;
const ENTITY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$';

const timestamp = { type: 'string', format: 'date-time', examples: ['2025-01-31T12:00:00.000Z'] } as const;

export const schemas = {
  CreateInvitationRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['phoneNumber'],
    properties: {
      phoneNumber: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description:
          'The friend\'s mobile number in international format ("+", country code, number; spaces, dashes, dots and brackets are allowed). Normalised to E.164. Must be a valid mobile-capable number in an allowed country.',
        examples: ['+14155552671', '+1 (415) 555-2671'],
      },
    },
  },
  AcceptInvitationRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['inviteCode'],
    properties: {
      inviteCode: { type: 'string', pattern: INVITE_CODE_PATTERN, examples: ['APP-8F3K92'] },
    },
  },
  InvitationCreated: {
    type: 'object',
    additionalProperties: false,
    required: [
      'success',
      'invitationId',
      'inviteCode',
      'status',
      'referralUrl',
      'phoneNumber',
      'createdAt',
      'expiresAt',
    ],
    properties: {
      success: { const: true },
      invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
      inviteCode: { type: 'string', pattern: INVITE_CODE_PATTERN, examples: ['APP-8F3K92'] },
      status: { const: 'queued', description: 'Recorded; the SMS is queued for sending.' },
      referralUrl: { type: 'string', format: 'uri', examples: ['https://app.example/invite/APP-8F3K92'] },
      phoneNumber: {
        type: 'string',
        pattern: '^\\+[1-9][0-9]{1,14}$',
        description: 'The number, normalised to E.164.',
      },
      phoneNumberDisplay: {
        type: 'string',
        description: 'The number formatted for people, e.g. "+1 415 555 2671".',
      },
      createdAt: timestamp,
      expiresAt: { ...timestamp, description: 'The code can be accepted until then (INVITE_TTL_DAYS).' },
    },
  },
  Invitation: {
    type: 'object',
    additionalProperties: false,
    required: [
      'invitationId',
      'inviteCode',
      'phoneNumber',
      'status',
      'referralUrl',
      'createdAt',
      'updatedAt',
      'resendCount',
      'phoneNumberDisplay',
    ],
    properties: {
      invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
      inviteCode: { type: 'string', pattern: INVITE_CODE_PATTERN },
      phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{1,14}$' },
      phoneNumberDisplay: { type: 'string', description: 'For people: "+1 415 555 2671".' },
      status: {
        enum: [...INVITATION_STATUSES],
        description:
          'queued -> sent -> delivered | failed -> accepted | revoked | expired. Never moves backwards; the last three are final. `expired`: still pending when expiresAt passed.',
      },
      referralUrl: { type: 'string', format: 'uri' },
      createdAt: timestamp,
      updatedAt: timestamp,
      sentAt: { ...timestamp, description: 'When the SMS provider accepted the message.' },
      deliveredAt: { ...timestamp, description: 'When the provider confirmed delivery.' },
      failedAt: { ...timestamp, description: 'When sending failed permanently.' },
      failure: {
        type: 'object',
        description:
          "Why the invitation failed: the provider's error code (e.g. OPTED_OUT), or QUEUE_REFUSED when the SMS request was refused by the queue for good.",
        additionalProperties: false,
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', examples: ['OPTED_OUT', 'QUEUE_REFUSED'] },
          message: { type: 'string' },
        },
      },
      acceptedAt: timestamp,
      expiresAt: { ...timestamp, description: 'After this the code can no longer be accepted.' },
      revokedAt: { ...timestamp, description: 'When the inviter withdrew the invitation.' },
      lastSendRequestedAt: {
        ...timestamp,
        description: 'The latest SMS request (creation or resend); the resend cooldown counts from it.',
      },
      resendCount: {
        type: 'integer',
        minimum: 0,
        description: 'Times the SMS was sent again (MAX_RESENDS).',
      },
    },
  },
  InvitationList: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'invitations', 'nextCursor'],
    properties: {
      success: { const: true },
      invitations: { type: 'array', items: { $ref: '#/components/schemas/Invitation' } },
      nextCursor: {
        type: ['string', 'null'],
        description: 'Pass as `cursor` to get the next page; null on the last page.',
      },
    },
  },
  InvitationResponse: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'invitation'],
    properties: { success: { const: true }, invitation: { $ref: '#/components/schemas/Invitation' } },
  },
  InvitationAccepted: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'invitationId', 'status', 'acceptedAt', 'inviterName', 'welcomePoints'],
    properties: {
      success: { const: true },
      invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
      status: { const: 'accepted' },
      acceptedAt: timestamp,
      inviterName: { type: 'string', description: 'Who invited (display name).' },
      welcomePoints: {
        type: 'integer',
        minimum: 0,
        description:
          'Welcome reward this acceptance earned the caller; 0 on a repeat or when none is configured.',
      },
    },
  },
  Rewards: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'balance', 'referralCount', 'cap', 'remaining', 'rewards'],
    properties: {
      success: { const: true },
      balance: { type: 'integer', minimum: 0, description: 'Sum of all reward points.' },
      referralCount: {
        type: 'integer',
        minimum: 0,
        description: 'Accepted invitations that earned a reward.',
      },
      cap: { type: 'integer', minimum: 0, description: 'REWARD_CAP_PER_INVITER.' },
      remaining: { type: 'integer', minimum: 0, description: 'Referral rewards still possible.' },
      rewards: {
        type: 'array',
        description: 'Newest first.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['rewardId', 'kind', 'points', 'invitationId', 'createdAt'],
          properties: {
            rewardId: { type: 'string' },
            kind: {
              enum: ['referral', 'welcome'],
              description: 'referral: a friend accepted your invitation; welcome: you accepted one.',
            },
            points: { type: 'integer', minimum: 0 },
            invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
            createdAt: timestamp,
          },
        },
      },
    },
  },
  LocalSessionRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['user'],
    properties: {
      user: { enum: ['demo', 'new'], description: 'demo: the demo inviter; new: a brand-new local user.' },
      name: { type: 'string', maxLength: 40, description: 'Display name of a new user.' },
    },
  },
  LocalSession: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'token', 'user', 'expiresAt'],
    properties: {
      success: { const: true },
      token: { type: 'string', description: 'A Bearer JWT (HS256, local secret).' },
      user: {
        type: 'object',
        additionalProperties: false,
        required: ['userId', 'name'],
        properties: { userId: { type: 'string' }, name: { type: 'string' } },
      },
      expiresAt: timestamp,
    },
  },
  ErrorResponse: {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'error'],
    properties: {
      success: { const: false },
      error: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'message'],
        properties: {
          code: {
            enum: [...ERROR_CODES],
            description: 'Stable, machine-readable; see the table in the description.',
          },
          message: { type: 'string', description: 'For people; may change. Never contains internals.' },
          details: {
            type: 'object',
            description:
              'Code-specific data: `fields` (VALIDATION_ERROR), `reason`, `retryAfterSeconds` (429/503), `inviteCode` and `invitationId` (DUPLICATE_INVITATION), `limit`.',
          },
        },
      },
    },
  },
  Health: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: { status: { const: 'ok' } },
  },
  Readiness: {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'checks'],
    properties: {
      status: { enum: ['ready', 'not-ready'] },
      checks: { type: 'object', additionalProperties: { enum: ['ok', 'failed', 'shutting-down'] } },
    },
  },
} as const;

const json = (schemaName: keyof typeof schemas) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } },
});

const headerRefs = {
  requestId: { $ref: '#/components/headers/RequestId' },
  retryAfter: { $ref: '#/components/headers/RetryAfter' },
};

/** A 2xx JSON response with the X-Request-Id header every response carries. */
function success(description: string, schemaName: keyof typeof schemas) {
  return { description, headers: { 'X-Request-Id': headerRefs.requestId }, content: json(schemaName) };
}

function jsonRequestBody(schemaName: keyof typeof schemas, examples: Record<string, { value: object }>) {
  return {
    required: true,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` }, examples } },
  };
}

/** One response object per error code, so each operation lists exactly the codes it can return. */
function errors(...codes: ErrorCode[]): Record<string, object> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.join(', '),
        headers:
          status === 429 || status === 503
            ? { 'Retry-After': headerRefs.retryAfter, 'X-Request-Id': headerRefs.requestId }
            : { 'X-Request-Id': headerRefs.requestId },
        content: json('ErrorResponse'),
      },
    ]),
  );
}

// HEADERS_TOO_LARGE (431) and a malformed request (400) are answered by the server before any
// route runs (createApiServer.ts), so every operation can return them.
const COMMON_ERRORS: ErrorCode[] = [
  'HEADERS_TOO_LARGE',
  'RATE_LIMITED_IP',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'invite-api',
    version: '1.0.0',
    summary: 'Invite a friend by SMS: record an invitation, send its code, follow its status.',
    description: [
      'Authenticated users invite friends by phone number. The API validates the number, enforces the limits',
      'atomically, records the invitation (status `queued`) and queues an SMS for sms-sender; status reports flow back',
      '(`sent`, `delivered`, `failed`) and the friend redeems the code (`accepted`).',
      '',
      'Limits: 10 invitations per user per UTC calendar day (resets at 00:00 UTC), 1 invitation per phone number per',
      'rolling 24 hours (the same inviter again: 409 DUPLICATE_INVITATION with the existing code), a per-address request',
      'limit, and a global hourly SMS ceiling (503 while reached). 429 and 503 carry Retry-After (seconds).',
      '',
      'Note: `+15551234567`, a common placeholder, is refused with INVALID_PHONE_NUMBER: 555 is not an assigned',
      'area code, so no such number exists. Use a real number such as `+14155552671`.',
      '',
      'Every error has the body `{ "success": false, "error": { "code", "message", "details"? } }`.',
    ].join('\n'),
  },
  servers: [{ url: '/' }],
  security: [{ bearerAuth: [] }],
  tags: [
    { name: 'Invitations', description: 'Create, list, read and accept invitations.' },
    { name: 'Operations', description: 'Health, readiness and this documentation.' },
    { name: 'Pages', description: "The invite page and the friend's landing page (HTML)." },
    { name: 'Local development', description: 'Exists only with AUTH_MODE=local.' },
  ],
  paths: {
    '/api/invitations': {
      post: {
        tags: ['Invitations'],
        operationId: 'createInvitation',
        summary: 'Invite a friend by SMS',
        description:
          'Validates and normalises the number, enforces the limits in one DynamoDB transaction, records the invitation and queues the SMS. With an Idempotency-Key, a retry of the same request within 24 hours returns the same 201 (header Idempotency-Replayed: true).',
        parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
        requestBody: jsonRequestBody('CreateInvitationRequest', {
          us: { value: { phoneNumber: '+14155552671' } },
        }),
        responses: {
          '201': {
            description: 'Invitation recorded; SMS queued.',
            headers: {
              'X-Request-Id': headerRefs.requestId,
              Location: {
                description: 'The new invitation: /api/invitations/{invitationId}.',
                schema: { type: 'string' },
              },
              'Idempotency-Replayed': {
                description: '`true` when this is a stored response to an earlier request with the same key.',
                schema: { type: 'string', enum: ['true'] },
              },
            },
            content: json('InvitationCreated'),
          },
          ...errors(
            'VALIDATION_ERROR',
            'INVALID_PHONE_NUMBER',
            'UNAUTHORIZED',
            'DUPLICATE_INVITATION',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            'COUNTRY_NOT_ALLOWED',
            'PHONE_OPTED_OUT',
            'IDEMPOTENCY_KEY_REUSED',
            'RATE_LIMITED_USER',
            'RATE_LIMITED_PHONE',
            ...COMMON_ERRORS,
          ),
        },
      },
      get: {
        tags: ['Invitations'],
        operationId: 'listInvitations',
        summary: "The caller's invitations, newest first",
        parameters: [{ $ref: '#/components/parameters/Limit' }, { $ref: '#/components/parameters/Cursor' }],
        responses: {
          '200': success('One page.', 'InvitationList'),
          '304': {
            description: 'Unchanged since the ETag given in If-None-Match (the invite page polls so).',
          },
          ...errors('VALIDATION_ERROR', 'UNAUTHORIZED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'),
        },
      },
    },
    '/api/invitations/{invitationId}': {
      get: {
        tags: ['Invitations'],
        operationId: 'getInvitation',
        summary: "One of the caller's invitations",
        description: "Another user's invitation is 404, like one that does not exist.",
        parameters: [
          { name: 'invitationId', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } },
        ],
        responses: {
          '200': success('The invitation.', 'InvitationResponse'),
          ...errors('UNAUTHORIZED', 'NOT_FOUND', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'),
        },
      },
      delete: {
        tags: ['Invitations'],
        operationId: 'revokeInvitation',
        summary: 'Revoke a pending invitation (idempotent)',
        description:
          'Status becomes revoked (final); an SMS still in the outbox is dropped; the landing page answers 410. Revoking again returns 200 with the same invitation. Accepted or expired: 409 INVITATION_NOT_REVOCABLE.',
        parameters: [
          { name: 'invitationId', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } },
        ],
        responses: {
          '200': success('Revoked.', 'InvitationResponse'),
          ...errors('UNAUTHORIZED', 'NOT_FOUND', 'INVITATION_NOT_REVOCABLE', ...COMMON_ERRORS),
        },
      },
    },
    '/api/invitations/{invitationId}/resend': {
      post: {
        tags: ['Invitations'],
        operationId: 'resendInvitation',
        summary: 'Send the invitation SMS again, with the same code',
        description:
          'Only the inviter, only while the invitation is sent or delivered (not queued, failed, accepted, revoked or expired), at most MAX_RESENDS times, not within RESEND_COOLDOWN_SECONDS of the previous SMS; counts against the daily limit. Written in one DynamoDB transaction with the outbox message. With an Idempotency-Key, a retry of the latest resend is answered 202 again without a second SMS.',
        parameters: [
          { $ref: '#/components/parameters/IdempotencyKey' },
          { name: 'invitationId', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } },
        ],
        responses: {
          '202': success('The SMS is queued again.', 'InvitationResponse'),
          ...errors(
            'UNAUTHORIZED',
            'NOT_FOUND',
            'RESEND_NOT_ALLOWED',
            'PHONE_OPTED_OUT',
            'RATE_LIMITED_RESEND',
            'RATE_LIMITED_USER',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    '/api/rewards': {
      get: {
        tags: ['Invitations'],
        operationId: 'listRewards',
        summary: "The caller's rewards and balance",
        description:
          'A referral reward per accepted invitation (written in the same transaction as the acceptance, up to REWARD_CAP_PER_INVITER) and the welcome reward of an accepted invitation (WELCOME_REWARD_POINTS). Supports If-None-Match (304).',
        responses: {
          '200': success('The rewards.', 'Rewards'),
          '304': { description: 'Unchanged since the ETag given in If-None-Match.' },
          ...errors('UNAUTHORIZED', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'),
        },
      },
    },
    '/api/dev/session': {
      post: {
        tags: ['Local development'],
        operationId: 'createLocalSession',
        summary: 'Mint a local token (AUTH_MODE=local only; absent in production: 404)',
        description:
          'Used by the pages of a local installation: "continue as" the demo user, or a brand-new user on the landing page. The route exists only when AUTH_MODE=local, which is refused with NODE_ENV=production.',
        security: [],
        requestBody: jsonRequestBody('LocalSessionRequest', {
          demo: { value: { user: 'demo' } },
          friend: { value: { user: 'new', name: 'Sam' } },
        }),
        responses: {
          '200': success('A token.', 'LocalSession'),
          ...errors(
            'VALIDATION_ERROR',
            'NOT_FOUND',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    '/': {
      get: {
        tags: ['Pages'],
        operationId: 'invitePage',
        summary: 'The invite page (HTML)',
        security: [],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': {} } } },
      },
    },
    '/invite/{inviteCode}': {
      get: {
        tags: ['Pages'],
        operationId: 'landingPage',
        summary: "The friend's landing page (HTML)",
        description:
          'Who invited, and the Accept button. Unknown code: 404 page; revoked or expired: 410 page. Shows no phone number.',
        security: [],
        parameters: [{ name: 'inviteCode', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'Landing page.', content: { 'text/html': {} } },
          '404': { description: 'No invitation has this code.', content: { 'text/html': {} } },
          '410': { description: 'Revoked or expired.', content: { 'text/html': {} } },
        },
      },
    },
    '/invite/{inviteCode}/card.png': {
      get: {
        tags: ['Pages'],
        operationId: 'shareCard',
        summary: "The invitation's share card (og:image)",
        description:
          'The personalised 1200x630 PNG image-worker rendered for the invitation (Cache-Control: public, max-age=604800). Before it exists, with share cards off, or for an unknown, revoked or expired code: 302 to the static card (Cache-Control: no-store). Shows no phone number.',
        security: [],
        parameters: [{ name: 'inviteCode', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The card.', content: { 'image/png': {} } },
          '302': { description: 'Not rendered (yet): the static card.' },
          ...errors(...COMMON_ERRORS),
        },
      },
    },
    '/static/{name}': {
      get: {
        tags: ['Pages'],
        operationId: 'staticAsset',
        summary: "The pages' stylesheet, scripts and images",
        description:
          'An explicit list of files (app.css, invite.js, landing.js, share-card.png, favicon.svg); anything else is 404. Cache-Control: immutable (URLs carry a content hash as ?v=); ETag and If-None-Match (304).',
        security: [],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The file.' },
          '304': { description: 'Unchanged.' },
          ...errors('NOT_FOUND'),
        },
      },
    },
    '/api/invitations/accept': {
      post: {
        tags: ['Invitations'],
        operationId: 'acceptInvitation',
        summary: 'Redeem an invite code (the invited person, authenticated)',
        description:
          "Moves the invitation to `accepted` and writes the inviter's reward (up to REWARD_CAP_PER_INVITER) and the caller's welcome reward in the same transaction. Accepting again as the same user returns the same 200; a code accepted by someone else, your own invitation, or a second invitation for a user who already joined is 409 INVITATION_NOT_ACCEPTABLE; expired: 410 INVITATION_EXPIRED; revoked: 410 INVITATION_REVOKED.",
        requestBody: jsonRequestBody('AcceptInvitationRequest', {
          code: { value: { inviteCode: 'APP-8F3K92' } },
        }),
        responses: {
          '200': success('Accepted.', 'InvitationAccepted'),
          ...errors(
            'VALIDATION_ERROR',
            'UNAUTHORIZED',
            'NOT_FOUND',
            'INVITATION_NOT_ACCEPTABLE',
            'INVITATION_EXPIRED',
            'INVITATION_REVOKED',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    '/healthz': {
      get: {
        tags: ['Operations'],
        operationId: 'health',
        summary: 'Liveness: the process serves HTTP',
        security: [],
        responses: { '200': { description: 'Alive.', content: json('Health') } },
      },
    },
    '/readyz': {
      get: {
        tags: ['Operations'],
        operationId: 'readiness',
        summary: 'Readiness: DynamoDB reachable and not shutting down',
        security: [],
        responses: {
          '200': { description: 'Ready for traffic.', content: json('Readiness') },
          '503': {
            description: 'Not ready (starting, shutting down, or a dependency is down).',
            content: json('Readiness'),
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['Operations'],
        operationId: 'openApiDocument',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': {} } } },
      },
    },
    '/docs': {
      get: {
        tags: ['Operations'],
        operationId: 'apiDocs',
        summary: 'This document as a readable page',
        security: [],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': {} } } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A JWT from the identity provider (JWKS, production) or minted locally (HS256): `sub` is the inviter, `name` appears in the SMS. Issuer and audience are checked.',
      },
    },
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Any unique string (e.g. a UUID) per logical request. Same key + same body within 24 h: the original 201 again. Same key + different body: 422 IDEMPOTENCY_KEY_REUSED. Failed requests are not stored.',
        schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
      },
      Limit: {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
      },
      Cursor: {
        name: 'cursor',
        in: 'query',
        required: false,
        description: 'nextCursor of the previous page.',
        schema: { type: 'string', maxLength: 1024 },
      },
    },
    headers: {
      RequestId: {
        description:
          'The request id (yours if you sent a valid X-Request-Id); quote it when reporting a problem.',
        schema: { type: 'string' },
      },
      RetryAfter: { description: 'Seconds until the limit frees.', schema: { type: 'integer', minimum: 1 } },
    },
    schemas,
  },
} as const;
