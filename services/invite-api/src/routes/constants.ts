// Request rules the routes enforce; the OpenAPI document states the same values by importing them.

/** Printable ASCII without spaces, at most 255 characters (the Idempotency-Key header). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';
/** `limit` of GET /v1/invitations: one DynamoDB query page stays small and cheap. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
