import type { PageKey } from '../store/InvitationStore.ts';
import { gsi1 } from '../store/keys.ts';

const KEY_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'pk', 'sk'] as const;
const MAX_CURSOR_LENGTH = 1024;

/** An opaque page cursor: the GSI's LastEvaluatedKey as base64url JSON. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Reads a cursor back, or undefined when it is not one this API issued to this caller. The gsi1pk
 * check keeps a caller from paging through someone else's invitations with a forged cursor.
 */
export function decodeCursor(cursor: string, userId: string): PageKey | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== KEY_ATTRIBUTES.length) return undefined;
  const key: PageKey = {};
  for (const name of KEY_ATTRIBUTES) {
    const part: unknown = (value as Record<string, unknown>)[name];
    if (typeof part !== 'string' || part.length === 0) return undefined;
    key[name] = part;
  }
  return key.gsi1pk === gsi1.inviter(userId) ? key : undefined;
}
