import type { ObservedRequest } from '@platform/testkit';

/**
 * Lease facts read from the DynamoDB proxy's log, not from the workers: every ledger write that the
 * emulator applied (status 200, whether or not the worker heard the answer), by which worker (the
 * proxy endpoint's label), setting `leaseExpiresAt` (acquire, renew) or removing it (complete, fail,
 * release). Independent of how the ledger code is written, as long as the attribute keeps its name.
 */
export interface LeaseWrite {
  label: string;
  key: string;
  /** Arrival at the proxy: the earliest the write can have taken effect. */
  at: number;
  /** The emulator's answer complete: the write has taken effect; the worker cannot know it earlier. */
  answeredAt: number;
  /** The new `leaseExpiresAt` (epoch ms) for acquire/renew; undefined for a write that ends the lease. */
  expiresAt: number | undefined;
}

export interface Holding {
  label: string;
  key: string;
  /** Certainly held from here (the acquire's answer) ... */
  from: number;
  /** ... until here (the last expiry it set, or the write that ended it, whichever is first). */
  until: number;
  /** Whether it ran out (`expiry`) or its holder ended it (`write`: complete, fail, release). */
  endedBy: 'expiry' | 'write';
}

type AttributeValue = { S?: string; N?: string };
interface UpdateShape {
  TableName?: string;
  Key?: Record<string, AttributeValue>;
  Item?: Record<string, AttributeValue>;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

const ATTRIBUTE = 'leaseExpiresAt';

/** The effect of one update on the lease: a new expiry, its end, or nothing. */
function leaseEffect(update: UpdateShape): { expiresAt?: number; ends: boolean } | undefined {
  if (update.Item !== undefined) {
    const n = update.Item[ATTRIBUTE]?.N;
    return n === undefined ? undefined : { expiresAt: Number(n), ends: false };
  }
  const expression = update.UpdateExpression ?? '';
  const names = update.ExpressionAttributeNames ?? {};
  const isLease = (name: string) => name === ATTRIBUTE || names[name] === ATTRIBUTE;
  // Clauses: SET a = :x, b = :y REMOVE c, d (any order, keywords case-insensitive).
  const clauses = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i);
  for (let i = 1; i < clauses.length; i += 2) {
    const keyword = (clauses[i] ?? '').toUpperCase();
    const body = clauses[i + 1] ?? '';
    if (keyword === 'REMOVE' && body.split(',').some((n) => isLease(n.trim()))) return { ends: true };
    if (keyword === 'SET') {
      for (const match of body.matchAll(/(?:^|,)\s*([#\w]+)\s*=\s*(:\w+)\s*(?=,|$)/g)) {
        if (!isLease(match[1] ?? '')) continue;
        const n = update.ExpressionAttributeValues?.[match[2] ?? '']?.N;
        if (n !== undefined) return { expiresAt: Number(n), ends: false };
      }
    }
  }
  return undefined;
}

export function leaseWrites(requests: ObservedRequest[], table: string): LeaseWrite[] {
  const writes: LeaseWrite[] = [];
  for (const request of requests) {
    if (request.service !== 'dynamodb' || request.status !== 200 || request.body === undefined) continue;
    let parsed: UpdateShape & { TransactItems?: Array<{ Update?: UpdateShape; Put?: UpdateShape }> };
    try {
      parsed = JSON.parse(request.body) as typeof parsed;
    } catch {
      continue;
    }
    const updates = parsed.TransactItems?.flatMap((item) => [item.Update, item.Put]).filter(
      (u) => u !== undefined,
    ) ?? [parsed];
    for (const update of updates) {
      if (update.TableName !== table) continue;
      const effect = leaseEffect(update);
      const keySource = update.Key ?? update.Item ?? {};
      const key = Object.values(keySource)[0]?.S;
      if (effect === undefined || key === undefined) continue;
      writes.push({
        label: request.client,
        key,
        at: request.at,
        answeredAt: request.answeredAt ?? request.at,
        expiresAt: effect.ends ? undefined : effect.expiresAt,
      });
    }
  }
  return writes.sort((a, b) => a.at - b.at);
}

/** The intervals in which each worker certainly held each lease, from its applied writes. */
export function holdings(writes: LeaseWrite[]): Holding[] {
  const result: Holding[] = [];
  const open = new Map<string, Holding>();
  for (const write of writes) {
    const id = `${write.label}\u0000${write.key}`;
    const current = open.get(id);
    if (write.expiresAt === undefined) {
      if (current !== undefined) {
        const expired = current.until < write.at;
        result.push({
          ...current,
          until: Math.min(current.until, write.at),
          endedBy: expired ? 'expiry' : 'write',
        });
        open.delete(id);
      }
      continue;
    }
    if (current !== undefined && current.until >= write.at) {
      current.until = Math.max(current.until, write.expiresAt);
      continue;
    }
    if (current !== undefined) result.push(current);
    open.set(id, {
      label: write.label,
      key: write.key,
      from: write.answeredAt,
      until: write.expiresAt,
      endedBy: 'expiry',
    });
  }
  result.push(...open.values());
  return result;
}

export interface SentAfterExpiry {
  label: string;
  key: string;
  at: number;
  attempt: number | undefined;
  /** How long after the last expiry this worker knew of (Infinity: it never held the lease). */
  lateByMs: number;
}

/**
 * Requests (e.g. S3 PUTs) sent by a worker at a moment when no lease of its own on that key was live:
 * no applied write of its own answered before the request set an expiry still in the future, with no
 * end of that lease in between. `keyOf` maps a request to the ledger key (job id) it serves.
 */
export function sentWithoutLiveLease(
  requests: ObservedRequest[],
  writes: LeaseWrite[],
  keyOf: (request: ObservedRequest) => string | undefined,
): SentAfterExpiry[] {
  const found: SentAfterExpiry[] = [];
  for (const request of requests) {
    const key = keyOf(request);
    if (key === undefined) continue;
    let validUntil = Number.NEGATIVE_INFINITY;
    for (const write of writes) {
      if (write.label !== request.client || write.key !== key || write.at > request.at) continue;
      if (write.expiresAt === undefined) validUntil = Number.NEGATIVE_INFINITY;
      else if (write.answeredAt <= request.at) validUntil = Math.max(validUntil, write.expiresAt);
    }
    if (validUntil <= request.at)
      found.push({
        label: request.client,
        key,
        at: request.at,
        attempt: request.attempt,
        lateByMs: Number.isFinite(validUntil) ? request.at - validUntil : Number.POSITIVE_INFINITY,
      });
  }
  return found;
}
