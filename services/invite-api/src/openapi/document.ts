import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { INVITE_CODE_ALPHABET, INVITE_CODE_LENGTH, INVITE_CODE_PREFIX } from '../domain/inviteCode.ts';
import { INVITATION_STATUSES } from '../domain/status.ts';

/**
 * The OpenAPI 3.1 document of the API: served at /openapi.json, rendered at /docs, the source of the
 * request-body schemas the routes validate with, and the schemas the contract tests validate every
 * real response against. Schemas use only JSON Schema 2020-12 keywords (OpenAPI 3.1's dialect).
 */

const INVITE_CODE_PATTERN = `^${INVITE_CODE_PREFIX}[${INVITE_CODE_ALPHABET}]{${INVITE_CODE_LENGTH}}$`;
const ENTITY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$';
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

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
    required: ['success', 'invitationId', 'inviteCode', 'status', 'referralUrl', 'phoneNumber', 'createdAt'],
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
      createdAt: timestamp,
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
    ],
    properties: {
      invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
      inviteCode: { type: 'string', pattern: INVITE_CODE_PATTERN },
      phoneNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{1,14}$' },
      status: {
        enum: [...INVITATION_STATUSES],
        description:
          'queued -> sent -> delivered | failed; accepted once the invited person redeems the code. Never moves backwards.',
      },
      referralUrl: { type: 'string', format: 'uri' },
      createdAt: timestamp,
      updatedAt: timestamp,
      sentAt: { ...timestamp, description: 'When the SMS provider accepted the message.' },
      deliveredAt: { ...timestamp, description: 'When the provider confirmed delivery.' },
      failedAt: { ...timestamp, description: 'When sending failed permanently.' },
      failure: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'message'],
        properties: { code: { type: 'string', examples: ['OPTED_OUT'] }, message: { type: 'string' } },
      },
      acceptedAt: timestamp,
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
    required: ['success', 'invitationId', 'status', 'acceptedAt'],
    properties: {
      success: { const: true },
      invitationId: { type: 'string', pattern: ENTITY_ID_PATTERN },
      status: { const: 'accepted' },
      acceptedAt: timestamp,
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

const COMMON_ERRORS: ErrorCode[] = ['RATE_LIMITED_IP', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR'];

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
    },
    '/api/invitations/accept': {
      post: {
        tags: ['Invitations'],
        operationId: 'acceptInvitation',
        summary: 'Redeem an invite code (the invited person, authenticated)',
        description:
          'Moves the invitation to `accepted`. Accepting again as the same user returns the same 200; a code accepted by someone else, or your own invitation, is 409 INVITATION_NOT_ACCEPTABLE.',
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
