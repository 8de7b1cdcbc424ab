import { LEASE_STATUSES, RESERVED_ATTRIBUTES } from './constants.ts';
import type { LeaseRecord, LeaseStatus, LedgerError } from './types.ts';

export { RESERVED_ATTRIBUTES };

const STATUSES: ReadonlySet<string> = new Set(LEASE_STATUSES);

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function ledgerError(value: unknown): LedgerError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message, retryable } = value as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : 'UNKNOWN',
    message: typeof message === 'string' ? message : '',
    retryable: retryable === true,
  };
}

/** Maps a stored item to a LeaseRecord; unknown fields become caller `attributes`. */
export function toLeaseRecord(
  item: Record<string, unknown>,
  keyName: string,
  ttlAttribute: string,
): LeaseRecord {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!RESERVED_ATTRIBUTES.has(name) && name !== keyName && name !== ttlAttribute) attributes[name] = value;
  }
  const status = item.status;
  return {
    key: String(item[keyName]),
    status: typeof status === 'string' && STATUSES.has(status) ? (status as LeaseStatus) : 'PENDING',
    leaseOwner: typeof item.leaseOwner === 'string' ? item.leaseOwner : undefined,
    leaseExpiresAt: num(item.leaseExpiresAt),
    version: num(item.version) ?? 0,
    attempts: num(item.attempts) ?? 0,
    failures: num(item.failures) ?? 0,
    createdAt: num(item.createdAt) ?? 0,
    updatedAt: num(item.updatedAt) ?? 0,
    startedAt: num(item.startedAt),
    completedAt: num(item.completedAt),
    lastError: ledgerError(item.lastError),
    attributes,
  };
}
