import { classifyError } from '@platform/errors';
import { LeaseLostError } from '../../src/errors.ts';
import type { Lease, LeaseLedger, LeaseRecord } from '../../src/index.ts';

/**
 * A FAKE LeaseLedger held in memory, named as such: the same rules as the DynamoDB ledger (owner +
 * version fencing, expiry, local deadline) in a Map, with every call recorded, so withLease's
 * lifecycle is unit-tested without DynamoDB (Powertools' PersistenceLayerTestClass is the model).
 * The DynamoDB ledger itself is tested against DynamoDB Local (ledger.test.ts, leaseProtocol.test.ts).
 */
export interface InMemoryLedger extends LeaseLedger {
  readonly calls: string[];
  readonly records: Map<string, LeaseRecord>;
  /** Wall clock and monotonic clock, moved by the test. */
  now: number;
  /** The next call of `method` rejects with `error` (before touching the record). */
  failNext(method: 'acquire' | 'renew' | 'update' | 'complete' | 'fail' | 'release', error: unknown): void;
  /** Renewals wait for this promise (to hold one in flight). */
  renewGate: Promise<void> | undefined;
}

const LEASE_MS = 10_000;
const SKEW_MS = 500;
const MARGIN_MS = 500;

export function createInMemoryLedger(): InMemoryLedger {
  const records = new Map<string, LeaseRecord>();
  const calls: string[] = [];
  const failures = new Map<string, unknown>();
  let version = 0;

  const injected = (method: string): void => {
    calls.push(method);
    if (failures.has(method)) {
      const error = failures.get(method);
      failures.delete(method);
      throw error;
    }
  };
  const lost = (lease: Lease, reason: LeaseLostError['reason']) =>
    new LeaseLostError({
      key: lease.key,
      owner: lease.owner,
      version: lease.version,
      reason,
      current: undefined,
    });
  const holder = (lease: Lease): LeaseRecord => {
    const record = records.get(lease.key);
    if (record === undefined) throw lost(lease, 'missing');
    if (record.leaseOwner !== lease.owner || record.version !== lease.version)
      throw lost(lease, 'taken-over');
    if (record.status !== 'PROCESSING') throw lost(lease, 'finished');
    if ((record.leaseExpiresAt ?? 0) <= ledger.now) throw lost(lease, 'expired');
    return record;
  };
  const leaseOf = (record: LeaseRecord, owner: string, sentAt: number): Lease => ({
    key: record.key,
    owner,
    token: `token-${record.version}`,
    version: record.version,
    expiresAt: record.leaseExpiresAt ?? 0,
    localDeadline: sentAt + LEASE_MS - SKEW_MS,
    attempts: record.attempts,
    failures: record.failures,
    record: structuredClone(record),
  });

  const ledger: InMemoryLedger = {
    calls,
    records,
    now: 1_000_000,
    renewGate: undefined,
    failNext: (method, error) => void failures.set(method, error),
    options: {
      tableName: 'in-memory',
      keyName: 'key',
      leaseDurationMs: LEASE_MS,
      ttlAttribute: 'expiresAt',
      retentionMs: undefined,
      clockSkewAllowanceMs: SKEW_MS,
      safetyMarginMs: MARGIN_MS,
      acquireRetries: 0,
      annotationLingerMs: 0,
    },
    remainingMs: (lease) => lease.localDeadline - ledger.now,
    assertLive(lease, before) {
      if (ledger.remainingMs(lease) <= MARGIN_MS) {
        throw new LeaseLostError({
          key: lease.key,
          owner: lease.owner,
          version: lease.version,
          reason: 'deadline',
          current: undefined,
          cause: new Error(`deadline before ${before}`),
        });
      }
    },
    async acquire(key, owner, call) {
      injected('acquire');
      const sentAt = ledger.now;
      const record = records.get(key);
      if (record?.status === 'COMPLETED') return { kind: 'completed', record };
      if (record?.status === 'CANCELLED') return { kind: 'cancelled', record };
      if (record?.status === 'FAILED' && record.lastError?.retryable !== true)
        return { kind: 'failed', record };
      if (record?.status === 'PROCESSING' && (record.leaseExpiresAt ?? 0) >= ledger.now) {
        return { kind: 'busy', record, msUntilExpiry: (record.leaseExpiresAt ?? 0) - ledger.now };
      }
      version = Math.max(version, record?.version ?? 0) + 1;
      const next: LeaseRecord = {
        key,
        status: 'PROCESSING',
        leaseOwner: owner,
        leaseExpiresAt: ledger.now + LEASE_MS,
        version,
        attempts: (record?.attempts ?? 0) + 1,
        failures: record?.failures ?? 0,
        createdAt: record?.createdAt ?? ledger.now,
        updatedAt: ledger.now,
        startedAt: ledger.now,
        completedAt: undefined,
        lastError: record?.lastError,
        attributes: { ...record?.attributes, ...call?.attributes },
      };
      records.set(key, next);
      return { kind: 'acquired', lease: leaseOf(next, owner, sentAt) };
    },
    async renew(lease) {
      injected('renew');
      ledger.assertLive(lease, 'renew');
      const sentAt = ledger.now;
      await ledger.renewGate;
      const record = holder(lease);
      version += 1;
      record.version = version;
      record.leaseExpiresAt = ledger.now + LEASE_MS;
      return leaseOf(record, lease.owner, sentAt);
    },
    async update(lease, changes) {
      injected('update');
      ledger.assertLive(lease, 'update');
      const record = holder(lease);
      Object.assign(record.attributes, changes.set);
      for (const name of changes.remove ?? []) delete record.attributes[name];
      return structuredClone(record);
    },
    async complete(lease, attributes) {
      injected('complete');
      ledger.assertLive(lease, 'complete');
      const record = holder(lease);
      Object.assign(record.attributes, attributes);
      record.status = 'COMPLETED';
      record.completedAt = ledger.now;
      record.leaseExpiresAt = undefined;
      return structuredClone(record);
    },
    async fail(lease, failure) {
      injected('fail');
      ledger.assertLive(lease, 'fail');
      const record = holder(lease);
      const shape = failure.error as { code?: string; message?: string };
      const classified = classifyError(failure.error);
      record.status = 'FAILED';
      record.failures += 1;
      record.lastError = {
        code: shape.code ?? classified.code,
        message: shape.message ?? classified.message,
        retryable: failure.retryable ?? classified.kind === 'transient',
      };
      Object.assign(record.attributes, failure.set);
      for (const name of failure.remove ?? []) delete record.attributes[name];
      record.leaseExpiresAt = undefined;
      return structuredClone(record);
    },
    async release(lease) {
      injected('release');
      const record = records.get(lease.key);
      if (record?.leaseOwner !== lease.owner || record.version !== lease.version)
        throw lost(lease, 'taken-over');
      record.status = 'PENDING';
      record.leaseOwner = undefined;
      record.leaseExpiresAt = undefined;
      return structuredClone(record);
    },
    async get(key) {
      calls.push('get');
      const record = records.get(key);
      return record === undefined ? undefined : structuredClone(record);
    },

    // Not used by the lease lifecycle (poison and event markers are the service's): minimal versions.
    async markDeadLettered(key) {
      calls.push('markDeadLettered');
      const record = records.get(key);
      return { kind: 'refused', record };
    },

    async annotate(key, status) {
      calls.push('annotate');
      const record = records.get(key);
      return record?.status === status ? structuredClone(record) : undefined;
    },

    async annotateLater(key, status) {
      calls.push('annotateLater');
      return records.get(key)?.status === status ? { kind: 'applied' } : { kind: 'not-in-status' };
    },

    async flushAnnotations() {},
  };
  return ledger;
}
