import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { classifyError } from '@platform/errors';
import { InvalidOptionsError, LeaseLostError, type LeaseLostReason } from '../errors.ts';
import { toLeaseRecord, RESERVED_ATTRIBUTES } from './record.ts';
import type {
  CallOptions,
  FailOptions,
  Lease,
  LeaseLedger,
  LeaseLedgerDeps,
  LeaseLedgerOptions,
  LeaseRecord,
  LedgerError,
} from './types.ts';

/**
 * A DynamoDB lease ledger: PENDING -> PROCESSING -> COMPLETED | FAILED, one item per key.
 *
 * Every transition is ONE conditional UpdateItem. Correctness rests on two things checked inside
 * the condition, never on a prior read: `leaseExpiresAt` (epoch ms, compared with the injected clock)
 * and `version` (a fencing token bumped on every acquire and renew, so a worker whose lease lapsed
 * and was taken over can never write again). The TTL attribute (epoch seconds) only garbage-collects
 * finished records: DynamoDB deletes expired items hours to days late, so it must never decide liveness.
 */
export function createLeaseLedger(deps: LeaseLedgerDeps, options: LeaseLedgerOptions): LeaseLedger {
  const problems: string[] = [];
  if (!options.tableName) problems.push('tableName is required');
  if (!options.keyName) problems.push('keyName is required');
  if (!Number.isInteger(options.leaseDurationMs) || options.leaseDurationMs < 1)
    problems.push(`leaseDurationMs must be a positive integer (ms), got ${options.leaseDurationMs}`);
  if (
    options.retentionMs !== undefined &&
    (!Number.isInteger(options.retentionMs) || options.retentionMs < 1)
  )
    problems.push(`retentionMs must be a positive integer (ms) when set, got ${options.retentionMs}`);
  if (problems.length > 0) throw new InvalidOptionsError('lease ledger', problems);

  const { ddb } = deps;
  const clock = deps.clock ?? Date.now;
  const { tableName, keyName, leaseDurationMs } = options;
  const ttlAttribute = options.ttlAttribute ?? 'expiresAt';
  const retentionMs = options.retentionMs;
  const toRecord = (item: Record<string, unknown>): LeaseRecord => toLeaseRecord(item, keyName, ttlAttribute);

  function checkAttributes(attributes: Record<string, unknown> | undefined): Record<string, unknown> {
    const clean: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (RESERVED_ATTRIBUTES.has(name) || name === keyName || name === ttlAttribute) {
        throw new InvalidOptionsError('lease ledger', [
          `attribute "${name}" is owned by the ledger and cannot be set`,
        ]);
      }
      if (value !== undefined) clean[name] = value;
    }
    return clean;
  }

  /** Adds `SET #a0 = :a0, ...` fragments for caller attributes to an update being built. */
  function setAttributes(
    attributes: Record<string, unknown>,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): string[] {
    return Object.entries(attributes).map(([name, value], index) => {
      names[`#attr${index}`] = name;
      values[`:attr${index}`] = value;
      return `#attr${index} = :attr${index}`;
    });
  }

  /**
   * Runs one conditional update; on ConditionalCheckFailed returns the item as it was (ALL_OLD), so
   * the caller classifies the refusal without a second, racy read.
   */
  async function conditionalUpdate(
    input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'>,
    call: CallOptions | undefined,
  ): Promise<
    { ok: true; item: Record<string, unknown> } | { ok: false; old: Record<string, unknown> | undefined }
  > {
    try {
      const output = await ddb.send(
        new UpdateCommand({
          ...input,
          TableName: tableName,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: call?.signal },
      );
      return { ok: true, item: output.Attributes ?? {} };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // lib-dynamodb does not translate the error's Item: it is still in AttributeValue form.
        const raw = error.Item;
        return { ok: false, old: raw === undefined ? undefined : unmarshall(raw) };
      }
      throw error;
    }
  }

  function leaseFrom(item: Record<string, unknown>, owner: string): Lease {
    const record = toRecord(item);
    return {
      key: record.key,
      owner,
      version: record.version,
      expiresAt: record.leaseExpiresAt ?? 0,
      attempts: record.attempts,
      record,
    };
  }

  function lostReason(lease: Lease, old: Record<string, unknown> | undefined, now: number): LeaseLostReason {
    if (old === undefined) return 'missing';
    const record = toRecord(old);
    if (record.leaseOwner !== lease.owner || record.version !== lease.version) return 'taken-over';
    if (record.status !== 'PROCESSING') return 'finished';
    return (record.leaseExpiresAt ?? 0) <= now ? 'expired' : 'taken-over';
  }

  function leaseLost(lease: Lease, old: Record<string, unknown> | undefined, now: number): LeaseLostError {
    return new LeaseLostError({
      key: lease.key,
      owner: lease.owner,
      version: lease.version,
      reason: lostReason(lease, old, now),
      current: old,
    });
  }

  /**
   * The condition every holder write carries: still PROCESSING, still ours (owner AND fencing
   * version), and the lease has not run out by our clock. Without the expiry check a worker paused
   * past its lease (GC, a frozen pod) could still write just before a new owner acquires.
   */
  const HOLDER_CONDITION =
    '#status = :processing AND leaseOwner = :owner AND version = :version AND leaseExpiresAt > :now';

  function holderValues(lease: Lease, now: number): Record<string, unknown> {
    return { ':processing': 'PROCESSING', ':owner': lease.owner, ':version': lease.version, ':now': now };
  }

  function ttlSeconds(now: number): number | undefined {
    return retentionMs === undefined ? undefined : Math.ceil((now + retentionMs) / 1000);
  }

  /** A write may succeed server-side and still be retried by the SDK (lost response): recognise our own result. */
  function alreadyApplied(
    old: Record<string, unknown> | undefined,
    lease: Lease,
    status: LeaseRecord['status'],
  ): LeaseRecord | undefined {
    if (old === undefined) return undefined;
    const record = toRecord(old);
    const ownerMatches =
      status === 'PENDING' ? record.leaseOwner === undefined : record.leaseOwner === lease.owner;
    return record.status === status && ownerMatches && record.version === lease.version ? record : undefined;
  }

  /**
   * The one terminal transition: COMPLETED or FAILED, conditional on the holder (status, owner,
   * fencing version, unexpired lease), clearing the lease and setting the GC-only TTL.
   */
  async function finish(
    lease: Lease,
    status: 'COMPLETED' | 'FAILED',
    extra: { sets: string[]; names: Record<string, string>; values: Record<string, unknown> },
    now: number,
    call: CallOptions | undefined,
  ): Promise<LeaseRecord> {
    const names: Record<string, string> = { '#status': 'status', ...extra.names };
    const values: Record<string, unknown> = {
      ...holderValues(lease, now),
      ':final': status,
      ...extra.values,
    };
    const sets = ['#status = :final', 'updatedAt = :now', ...extra.sets];
    const ttl = ttlSeconds(now);
    if (ttl !== undefined) {
      names['#ttl'] = ttlAttribute;
      values[':ttl'] = ttl;
      sets.push('#ttl = :ttl');
    }
    const result = await conditionalUpdate(
      {
        Key: { [keyName]: lease.key },
        UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseExpiresAt`,
        ConditionExpression: HOLDER_CONDITION,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      call,
    );
    if (result.ok) return toRecord(result.item);
    const applied = alreadyApplied(result.old, lease, status);
    if (applied !== undefined) return applied;
    throw leaseLost(lease, result.old, now);
  }

  return {
    options: { tableName, keyName, leaseDurationMs, ttlAttribute, retentionMs },

    async acquire(key, owner, call) {
      const now = clock();
      const names: Record<string, string> = { '#key': keyName, '#status': 'status', '#ttl': ttlAttribute };
      const values: Record<string, unknown> = {
        ':processing': 'PROCESSING',
        ':pending': 'PENDING',
        ':failed': 'FAILED',
        ':true': true,
        ':owner': owner,
        ':expires': now + leaseDurationMs,
        ':now': now,
        ':zero': 0,
        ':one': 1,
      };
      const extra = setAttributes(checkAttributes(call?.attributes), names, values);
      const result = await conditionalUpdate(
        {
          Key: { [keyName]: key },
          UpdateExpression:
            [
              'SET #status = :processing, leaseOwner = :owner, leaseExpiresAt = :expires',
              'version = if_not_exists(version, :zero) + :one, attempts = if_not_exists(attempts, :zero) + :one',
              'createdAt = if_not_exists(createdAt, :now), updatedAt = :now, startedAt = :now',
              ...extra,
            ].join(', ') + ' REMOVE #ttl, completedAt',
          // Absent, PENDING, retryable FAILED, or PROCESSING whose lease ran out by OUR clock (epoch ms).
          ConditionExpression: [
            'attribute_not_exists(#key)',
            '#status = :pending',
            '(#status = :failed AND lastError.retryable = :true)',
            '(#status = :processing AND leaseExpiresAt < :now)',
          ].join(' OR '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
        call,
      );
      if (result.ok) return { kind: 'acquired', lease: leaseFrom(result.item, owner) };
      if (result.old === undefined) {
        // Cannot happen (an absent item satisfies the condition) unless the table's key is misdeclared.
        throw new Error(`Acquire of ${key} refused but no item returned: is ${keyName} the table's key?`);
      }
      const record = toRecord(result.old);
      if (record.status === 'COMPLETED') return { kind: 'completed', record };
      if (record.status === 'FAILED') return { kind: 'failed', record };
      return { kind: 'busy', record, msUntilExpiry: Math.max(0, (record.leaseExpiresAt ?? now) - now) };
    },

    async renew(lease, call) {
      const now = clock();
      const result = await conditionalUpdate(
        {
          Key: { [keyName]: lease.key },
          UpdateExpression: 'SET leaseExpiresAt = :expires, version = version + :one, updatedAt = :now',
          ConditionExpression: HOLDER_CONDITION,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...holderValues(lease, now),
            ':expires': now + leaseDurationMs,
            ':one': 1,
          },
        },
        call,
      );
      if (result.ok) return leaseFrom(result.item, lease.owner);
      const old = result.old === undefined ? undefined : toRecord(result.old);
      // Our renew landed but its response was lost and the SDK retried: the item shows version+1 under our name.
      if (
        old?.status === 'PROCESSING' &&
        old.leaseOwner === lease.owner &&
        old.version === lease.version + 1
      ) {
        return leaseFrom(result.old ?? {}, lease.owner);
      }
      throw leaseLost(lease, result.old, now);
    },

    async complete(lease, attributes, call) {
      const now = clock();
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets = ['completedAt = :now', ...setAttributes(checkAttributes(attributes), names, values)];
      return finish(lease, 'COMPLETED', { sets, names, values }, now, call);
    },

    async fail(lease, failure: FailOptions, call) {
      const now = clock();
      const values: Record<string, unknown> = { ':lastError': toLedgerError(failure) };
      return finish(
        lease,
        'FAILED',
        { sets: ['lastError = :lastError', 'failedAt = :now'], names: {}, values },
        now,
        call,
      );
    },

    async release(lease, call) {
      const now = clock();
      // No expiry check: handing back a lapsed lease is harmless (anyone may take it either way), but
      // owner + version still are, so a stale worker cannot clear a lease another worker now holds.
      const result = await conditionalUpdate(
        {
          Key: { [keyName]: lease.key },
          UpdateExpression: 'SET #status = :pending, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
          ConditionExpression: '#status = :processing AND leaseOwner = :owner AND version = :version',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'PROCESSING',
            ':pending': 'PENDING',
            ':owner': lease.owner,
            ':version': lease.version,
            ':now': now,
          },
        },
        call,
      );
      if (result.ok) return toRecord(result.item);
      const applied = alreadyApplied(result.old, lease, 'PENDING');
      if (applied !== undefined) return applied;
      throw leaseLost(lease, result.old, now);
    },

    async get(key, call) {
      const output = await ddb.send(
        new GetCommand({ TableName: tableName, Key: { [keyName]: key }, ConsistentRead: true }),
        { abortSignal: call?.signal },
      );
      return output.Item === undefined ? undefined : toRecord(output.Item);
    },
  };
}

function toLedgerError(failure: FailOptions): LedgerError {
  const { error } = failure;
  const classified = classifyError(error);
  const shape =
    typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown }) : {};
  const code = typeof shape.code === 'string' ? shape.code : classified.code;
  const message = typeof shape.message === 'string' ? shape.message : classified.message;
  return {
    code,
    // Bounded: a ledger item is capped at 400 KB and this text is for humans.
    message: message.slice(0, 2000),
    retryable: failure.retryable ?? classified.kind === 'transient',
  };
}
