import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { classifyError } from '@platform/errors';
import { InvalidOptionsError, LeaseLostError, type LeaseLostReason } from '../errors.ts';
import { createAnnotationBatcher } from './annotationBatcher.ts';
import {
  DEFAULT_ACQUIRE_RETRIES,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_MAX_SAFETY_MARGIN_MS,
  DEAD_LETTERABLE_STATUSES,
  MAX_ANNOTATION_LINGER_MS,
  FREELY_ACQUIRABLE_STATUSES,
  RESERVED_ATTRIBUTES,
} from './constants.ts';
import { toLeaseRecord } from './record.ts';
import type {
  CallOptions,
  FailOptions,
  FieldChanges,
  Lease,
  LeaseLedger,
  LeaseLedgerDeps,
  LeaseLedgerOptions,
  LeaseRecord,
  LeaseStatus,
  LedgerError,
  ResolvedLeaseLedgerOptions,
} from './types.ts';

// A deferred annotation is nobody's critical path: bounded so a flush on shutdown cannot hang.
const ANNOTATION_CALL_TIMEOUT_MS = 5_000;

/*
 * Acquire timeline of one key (t = the acquiring worker's clock, epoch ms):
 *
 *   absent | PENDING ----------------------------> PROCESSING(owner, token, expires = t + lease)
 *   FAILED (lastError.retryable) ----------------/      |  renew: expires = t + lease, version + 1
 *   PROCESSING with leaseExpiresAt < t ---------/       v
 *                                               COMPLETED | FAILED | PENDING (release)
 *
 * Each OR clause of the acquire condition is one arrow above, named below.
 */
const ACQUIRE_IF_ABSENT = 'attribute_not_exists(#key)';
const ACQUIRE_IF_FREE = `#status IN (${FREELY_ACQUIRABLE_STATUSES.map((_, i) => `:free${i}`).join(', ')})`;
const ACQUIRE_IF_RETRYABLE_FAILURE = '(#status = :failed AND lastError.retryable = :true)';
// By OUR clock: correctness rests on this comparison, never on the TTL sweeper.
const ACQUIRE_IF_LEASE_EXPIRED = '(#status = :processing AND leaseExpiresAt < :now)';

/**
 * The condition every holder write carries: still PROCESSING, still ours (owner AND fencing
 * version), and the lease has not run out by our clock. Without the expiry check a worker paused
 * past its lease (GC, a frozen pod) could still write just before a new owner acquires.
 */
const HOLDER_CONDITION =
  '#status = :processing AND leaseOwner = :owner AND version = :version AND leaseExpiresAt > :now';

type Update = Omit<UpdateCommandInput, 'TableName' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'>;
type UpdateResult =
  { ok: true; item: Record<string, unknown> } | { ok: false; old: Record<string, unknown> | undefined };

function resolveOptions(options: LeaseLedgerOptions): ResolvedLeaseLedgerOptions {
  const problems: string[] = [];
  const positiveInt = (name: string, value: number | undefined, required: boolean): void => {
    if (value === undefined && !required) return;
    if (!Number.isInteger(value) || (value as number) < 1)
      problems.push(`${name} must be a positive integer (ms)${required ? '' : ' when set'}, got ${value}`);
  };
  if (!options.tableName) problems.push('tableName is required');
  if (!options.keyName) problems.push('keyName is required');
  positiveInt('leaseDurationMs', options.leaseDurationMs, true);
  positiveInt('retentionMs', options.retentionMs, false);
  const lease = options.leaseDurationMs;
  const clockSkewAllowanceMs =
    options.clockSkewAllowanceMs ?? Math.min(DEFAULT_MAX_CLOCK_SKEW_MS, Math.floor(lease / 10));
  const safetyMarginMs =
    options.safetyMarginMs ?? Math.min(DEFAULT_MAX_SAFETY_MARGIN_MS, Math.floor(lease / 10));
  const acquireRetries = options.acquireRetries ?? DEFAULT_ACQUIRE_RETRIES;
  const annotationLingerMs = options.annotationLingerMs ?? 0;
  if (
    !Number.isInteger(annotationLingerMs) ||
    annotationLingerMs < 0 ||
    annotationLingerMs > MAX_ANNOTATION_LINGER_MS
  )
    problems.push(
      `annotationLingerMs must be an integer from 0 to ${MAX_ANNOTATION_LINGER_MS}, got ${annotationLingerMs}`,
    );
  for (const [name, value] of [
    ['clockSkewAllowanceMs', clockSkewAllowanceMs],
    ['safetyMarginMs', safetyMarginMs],
    ['acquireRetries', acquireRetries],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) problems.push(`${name} must be an integer >= 0, got ${value}`);
  }
  // Half the lease at most: otherwise a fresh lease would be refused before its first side effect.
  if (clockSkewAllowanceMs + safetyMarginMs > lease / 2) {
    problems.push(
      `clockSkewAllowanceMs + safetyMarginMs must be at most half of leaseDurationMs (${lease}), got ${clockSkewAllowanceMs} + ${safetyMarginMs}`,
    );
  }
  if (problems.length > 0) throw new InvalidOptionsError('lease ledger', problems);
  return {
    tableName: options.tableName,
    keyName: options.keyName,
    leaseDurationMs: lease,
    ttlAttribute: options.ttlAttribute ?? 'expiresAt',
    retentionMs: options.retentionMs,
    clockSkewAllowanceMs,
    safetyMarginMs,
    acquireRetries,
    annotationLingerMs,
  };
}

/**
 * A DynamoDB lease ledger: PENDING -> PROCESSING -> COMPLETED | FAILED, one item per key.
 *
 * Every transition is ONE conditional UpdateItem. Correctness rests on two things checked inside
 * the condition, never on a prior read: `leaseExpiresAt` (epoch ms, compared with the injected clock)
 * and `version` (a fencing token bumped on every acquire and renew, so a worker whose lease lapsed
 * and was taken over can never write again). The TTL attribute (epoch seconds) only garbage-collects
 * finished records: DynamoDB deletes expired items hours to days late, so it must never decide liveness.
 *
 * On top of that, the holder keeps its own deadline on a monotonic clock (Lease.localDeadline) and
 * refuses every write, before sending it, once less than the safety margin is left: a process that
 * was paused past its lease learns it without asking anyone.
 */
export function createLeaseLedger(deps: LeaseLedgerDeps, options: LeaseLedgerOptions): LeaseLedger {
  const resolved = resolveOptions(options);
  const { ddb } = deps;
  const clock = deps.clock ?? Date.now;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const newToken = deps.newToken ?? randomUUID;
  const { tableName, keyName, leaseDurationMs, ttlAttribute, retentionMs } = resolved;
  const toRecord = (item: Record<string, unknown>): LeaseRecord => toLeaseRecord(item, keyName, ttlAttribute);

  function checkFieldName(name: string): void {
    if (RESERVED_ATTRIBUTES.has(name) || name === keyName || name === ttlAttribute) {
      throw new InvalidOptionsError('lease ledger', [
        `attribute "${name}" is owned by the ledger and cannot be set`,
      ]);
    }
  }

  function checkAttributes(attributes: Record<string, unknown> | undefined): Record<string, unknown> {
    const clean: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(attributes ?? {})) {
      checkFieldName(name);
      if (value !== undefined) clean[name] = value;
    }
    return clean;
  }

  /** Expression fragments for caller fields (`#f0 = :f0` and `#r0`), added to an update being built. */
  function fieldFragments(
    changes: FieldChanges,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): { sets: string[]; removes: string[] } {
    const sets = Object.entries(checkAttributes(changes.set)).map(([name, value], index) => {
      names[`#f${index}`] = name;
      values[`:f${index}`] = value;
      return `#f${index} = :f${index}`;
    });
    const removes = (changes.remove ?? []).map((name, index) => {
      checkFieldName(name);
      names[`#r${index}`] = name;
      return `#r${index}`;
    });
    return { sets, removes };
  }

  const expression = (sets: string[], removes: string[]): string =>
    [
      sets.length > 0 ? `SET ${sets.join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');

  /** A change of service fields on a record in `status`, no lease involved (annotate, annotateLater). */
  function annotation(key: string, status: LeaseStatus, changes: FieldChanges) {
    const names: Record<string, string> = { '#key': keyName, '#status': 'status' };
    const values: Record<string, unknown> = { ':status': status };
    const { sets, removes } = fieldFragments(changes, names, values);
    return {
      Key: { [keyName]: key },
      UpdateExpression: expression(sets, removes),
      ConditionExpression: 'attribute_exists(#key) AND #status = :status',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  const annotations = createAnnotationBatcher({
    ddb,
    tableName,
    lingerMs: resolved.annotationLingerMs,
    signal: () => AbortSignal.timeout(ANNOTATION_CALL_TIMEOUT_MS),
  });

  /**
   * Runs one conditional update; on ConditionalCheckFailed returns the item as it was (ALL_OLD), so
   * the caller classifies the refusal without a second, racy read.
   */
  async function conditionalUpdate(input: Update, call: CallOptions | undefined): Promise<UpdateResult> {
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

  function leaseFrom(item: Record<string, unknown>, owner: string, token: string, sentAt: number): Lease {
    const record = toRecord(item);
    return {
      key: record.key,
      owner,
      token,
      version: record.version,
      expiresAt: record.leaseExpiresAt ?? 0,
      localDeadline: sentAt + leaseDurationMs - resolved.clockSkewAllowanceMs,
      attempts: record.attempts,
      failures: record.failures,
      record,
    };
  }

  function lostReason(lease: Lease, old: Record<string, unknown> | undefined, now: number): LeaseLostReason {
    if (old === undefined) return 'missing';
    const record = toRecord(old);
    // First: a cancel also bumps the version, which would otherwise read as a take-over.
    if (record.status === 'CANCELLED') return 'cancelled';
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

  function holderValues(lease: Lease, now: number): Record<string, unknown> {
    return { ':processing': 'PROCESSING', ':owner': lease.owner, ':version': lease.version, ':now': now };
  }

  function ttlSeconds(now: number): number | undefined {
    return retentionMs === undefined ? undefined : Math.ceil((now + retentionMs) / 1000);
  }

  const remainingMs = (lease: Lease): number => lease.localDeadline - monotonic();

  function assertLive(lease: Lease, before: string, leadMs = 0): void {
    const left = remainingMs(lease);
    const needed = resolved.safetyMarginMs + Math.max(0, leadMs);
    if (left > needed) return;
    throw new LeaseLostError({
      key: lease.key,
      owner: lease.owner,
      version: lease.version,
      reason: 'deadline',
      current: undefined,
      cause: new Error(
        `${Math.round(left)} ms left on the local lease deadline before ${before}; the safety margin is ${resolved.safetyMarginMs} ms${leadMs > 0 ? ` and ${before} needs ${leadMs} ms more` : ''}`,
      ),
    });
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
    build: (
      names: Record<string, string>,
      values: Record<string, unknown>,
    ) => { sets: string[]; removes: string[] },
    call: CallOptions | undefined,
  ): Promise<LeaseRecord> {
    assertLive(lease, status === 'COMPLETED' ? 'complete' : 'fail');
    const now = clock();
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ...holderValues(lease, now), ':final': status };
    const extra = build(names, values);
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
        UpdateExpression: expression(sets, ['leaseExpiresAt', 'leaseToken', ...extra.removes]),
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

  async function acquireOnce(
    key: string,
    owner: string,
    token: string,
    call: (CallOptions & { attributes?: Record<string, unknown> }) | undefined,
  ): Promise<{ result: UpdateResult; now: number }> {
    const now = clock();
    const names: Record<string, string> = { '#key': keyName, '#status': 'status', '#ttl': ttlAttribute };
    const values: Record<string, unknown> = {
      ':processing': 'PROCESSING',
      ':failed': 'FAILED',
      ':true': true,
      ':owner': owner,
      ':token': token,
      ':expires': now + leaseDurationMs,
      ':now': now,
      ':zero': 0,
      ':one': 1,
    };
    FREELY_ACQUIRABLE_STATUSES.forEach((status, i) => (values[`:free${i}`] = status));
    const extra = fieldFragments({ set: call?.attributes }, names, values);
    const result = await conditionalUpdate(
      {
        Key: { [keyName]: key },
        UpdateExpression: expression(
          [
            '#status = :processing, leaseOwner = :owner, leaseToken = :token, leaseExpiresAt = :expires',
            'version = if_not_exists(version, :zero) + :one, attempts = if_not_exists(attempts, :zero) + :one',
            'createdAt = if_not_exists(createdAt, :now), updatedAt = :now, startedAt = :now',
            ...extra.sets,
          ],
          ['#ttl', 'completedAt'],
        ),
        ConditionExpression: [
          ACQUIRE_IF_ABSENT,
          ACQUIRE_IF_FREE,
          ACQUIRE_IF_RETRYABLE_FAILURE,
          ACQUIRE_IF_LEASE_EXPIRED,
        ].join(' OR '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      call,
    );
    return { result, now };
  }

  return {
    options: resolved,
    remainingMs,
    assertLive,

    async acquire(key, owner, call) {
      // One token per acquire call, reused by its retries: a retry whose predecessor DID take the
      // lease (the response was lost) finds the token on the item and knows the lease is its own.
      // A second delivery of the same key in the same process draws a new token and sees `busy`.
      const token = newToken();
      // Measured BEFORE the first request leaves: an answer read late (a pause, a slow network, a
      // retry whose predecessor applied) then leaves less local lease, never more.
      const sentAt = monotonic();
      for (let attempt = 0; ; attempt++) {
        let outcome: Awaited<ReturnType<typeof acquireOnce>>;
        try {
          outcome = await acquireOnce(key, owner, token, call);
        } catch (error) {
          const retry =
            attempt < resolved.acquireRetries &&
            call?.signal?.aborted !== true &&
            classifyError(error).kind === 'transient';
          if (!retry) throw error;
          continue;
        }
        const { result, now } = outcome;
        if (result.ok) return { kind: 'acquired', lease: leaseFrom(result.item, owner, token, sentAt) };
        if (result.old === undefined) {
          // Cannot happen (an absent item satisfies the condition) unless the table's key is misdeclared.
          throw new Error(`Acquire of ${key} refused but no item returned: is ${keyName} the table's key?`);
        }
        const record = toRecord(result.old);
        if (
          record.status === 'PROCESSING' &&
          record.leaseOwner === owner &&
          result.old.leaseToken === token
        ) {
          // Our own earlier try applied and its answer was lost: the item IS our lease.
          return { kind: 'acquired', lease: leaseFrom(result.old, owner, token, sentAt) };
        }
        if (record.status === 'COMPLETED') return { kind: 'completed', record };
        if (record.status === 'FAILED') return { kind: 'failed', record };
        if (record.status === 'CANCELLED') return { kind: 'cancelled', record };
        return { kind: 'busy', record, msUntilExpiry: Math.max(0, (record.leaseExpiresAt ?? now) - now) };
      }
    },

    async renew(lease, call) {
      assertLive(lease, 'renew');
      const sentAt = monotonic();
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
      if (result.ok) return leaseFrom(result.item, lease.owner, lease.token, sentAt);
      const old = result.old === undefined ? undefined : toRecord(result.old);
      // Our renew landed but its response was lost and the SDK retried: the item shows version+1 under our name.
      if (
        old?.status === 'PROCESSING' &&
        old.leaseOwner === lease.owner &&
        old.version === lease.version + 1
      ) {
        return leaseFrom(result.old ?? {}, lease.owner, lease.token, sentAt);
      }
      throw leaseLost(lease, result.old, now);
    },

    async update(lease, changes, call) {
      assertLive(lease, 'update');
      const now = clock();
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = holderValues(lease, now);
      const { sets, removes } = fieldFragments(changes, names, values);
      // No version bump: a service field is not a new lease. Idempotent, so an SDK retry after a
      // lost response simply writes the same values again under the same condition.
      const result = await conditionalUpdate(
        {
          Key: { [keyName]: lease.key },
          UpdateExpression: expression(['updatedAt = :now', ...sets], removes),
          ConditionExpression: HOLDER_CONDITION,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
        call,
      );
      if (result.ok) return toRecord(result.item);
      throw leaseLost(lease, result.old, now);
    },

    async complete(lease, attributes, call) {
      return finish(
        lease,
        'COMPLETED',
        (names, values) => {
          const { sets, removes } = fieldFragments({ set: attributes }, names, values);
          return { sets: ['completedAt = :now', ...sets], removes };
        },
        call,
      );
    },

    async fail(lease, failure: FailOptions, call) {
      return finish(
        lease,
        'FAILED',
        (names, values) => {
          values[':lastError'] = toLedgerError(failure);
          values[':zero'] = 0;
          values[':one'] = 1;
          const { sets, removes } = fieldFragments(failure, names, values);
          return {
            sets: [
              'lastError = :lastError',
              'failedAt = :now',
              'failures = if_not_exists(failures, :zero) + :one',
              ...sets,
            ],
            removes,
          };
        },
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
          UpdateExpression:
            'SET #status = :pending, updatedAt = :now REMOVE leaseOwner, leaseToken, leaseExpiresAt',
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

    async markDeadLettered(key, failure, call) {
      const now = clock();
      const names: Record<string, string> = { '#key': keyName, '#status': 'status' };
      const values: Record<string, unknown> = {
        ':dead': 'DEAD_LETTERED',
        ':now': now,
        ':lastError': toLedgerError({ ...failure, retryable: failure.retryable ?? false }),
      };
      DEAD_LETTERABLE_STATUSES.forEach((status, i) => (values[`:dl${i}`] = status));
      const { sets, removes } = fieldFragments(failure, names, values);
      const ttl = ttlSeconds(now);
      if (ttl !== undefined) {
        names['#ttl'] = ttlAttribute;
        values[':ttl'] = ttl;
        sets.push('#ttl = :ttl');
      }
      const result = await conditionalUpdate(
        {
          Key: { [keyName]: key },
          UpdateExpression: expression(
            [
              '#status = :dead, lastError = :lastError, deadLetteredAt = :now, updatedAt = :now',
              'createdAt = if_not_exists(createdAt, :now)',
              ...sets,
            ],
            ['leaseOwner', 'leaseToken', 'leaseExpiresAt', ...removes],
          ),
          ConditionExpression: `attribute_not_exists(#key) OR #status IN (${DEAD_LETTERABLE_STATUSES.map((_, i) => `:dl${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
        call,
      );
      if (result.ok) return { kind: 'recorded', record: toRecord(result.item) };
      return { kind: 'refused', record: result.old === undefined ? undefined : toRecord(result.old) };
    },

    async annotate(key, status, changes, call) {
      const result = await conditionalUpdate(annotation(key, status, changes), call);
      return result.ok ? toRecord(result.item) : undefined;
    },

    annotateLater(key, status, changes) {
      return annotations.enqueue(key, annotation(key, status, changes));
    },

    flushAnnotations: () => annotations.flush(),

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
