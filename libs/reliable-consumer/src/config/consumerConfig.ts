import { intInRange, readConfig, str } from '@platform/config';
import { ConfigError } from '@platform/errors';
import type { ReliableConsumerOptions } from '../consumer/types.ts';

/** Per-service defaults of the consumer variables; each service documents its own (docs/, k8s ConfigMaps). */
export interface ConsumerConfigDefaults {
  concurrency: number;
  visibilityTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  leaseDurationMs: number;
  shutdownGraceMs: number;
  healthPort: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  ledgerRetentionDays: number;
  /**
   * Lowest accepted LEDGER_RETENTION_DAYS. Default 1. A service whose ledger is what prevents a
   * duplicate side effect sets 15: longer than SQS's 14-day maximum retention, so a redelivery at
   * any time still finds its record.
   */
  minLedgerRetentionDays?: number;
  /** RECEIVE_PREFETCH default (messages held beyond the free slots). Default 0: receive only for free slots. */
  receivePrefetch?: number;
  /** DELETE_LINGER_MS default (ack deletes batched). Default 0: one DeleteMessage per ack. */
  deleteLingerMs?: number;
}

/**
 * The envalid spec of the variables every reliable consumer reads, spread into a service's own
 * spec: `readConfig({ ...consumerConfigSpec(defaults), MY_VAR: str() }, env)`. The names are
 * fixed here so both services (and their docs and ConfigMaps) use the same ones.
 */
export function consumerConfigSpec(defaults: ConsumerConfigDefaults) {
  return {
    WORKER_CONCURRENCY: intInRange(
      1,
      1000,
    )({ default: defaults.concurrency, desc: 'Messages handled at once by one process' }),
    // 43200 s = 12 h, the SQS visibility maximum.
    VISIBILITY_TIMEOUT_SECONDS: intInRange(
      1,
      43_200,
    )({
      default: defaults.visibilityTimeoutSeconds,
      desc: 'Visibility set on receive and on each heartbeat',
    }),
    HEARTBEAT_INTERVAL_SECONDS: intInRange(
      1,
      43_199,
    )({ default: defaults.heartbeatIntervalSeconds, desc: 'Seconds between heartbeats (< visibility)' }),
    LEASE_DURATION_MS: intInRange(
      1_000,
      43_200_000,
    )({ default: defaults.leaseDurationMs, desc: 'Ledger lease per acquire/renewal' }),
    MAX_RECEIVE_COUNT: intInRange(
      0,
      1000,
    )({
      default: 0,
      desc: "The queue's RedrivePolicy maxReceiveCount; 0 = read it from the queue at start-up",
    }),
    SHUTDOWN_GRACE_MS: intInRange(
      0,
      3_600_000,
    )({
      default: defaults.shutdownGraceMs,
      desc: 'Drain time on SIGTERM (below the pod terminationGracePeriodSeconds, 30 s by default)',
    }),
    HEALTH_PORT: intInRange(
      0,
      65_535,
    )({ default: defaults.healthPort, desc: '/healthz and /readyz; 0 = any free port' }),
    // SQS limits: 1-10 messages per receive, 0-20 s long poll.
    RECEIVE_BATCH_SIZE: intInRange(1, 10)({ default: 10 }),
    RECEIVE_WAIT_SECONDS: intInRange(0, 20)({ default: 20 }),
    RECEIVE_PREFETCH: intInRange(
      0,
      1000,
    )({
      default: defaults.receivePrefetch ?? 0,
      desc: 'Messages a receive may bring beyond the free handler slots, held (visibility extended) until one frees; 0 = receive only for free slots',
    }),
    DELETE_LINGER_MS: intInRange(
      0,
      1000,
    )({
      default: defaults.deleteLingerMs ?? 0,
      desc: 'Acks are deleted in DeleteMessageBatch calls sent at 10 entries or this long after the first; 0 = one DeleteMessage per ack',
    }),
    BACKOFF_BASE_SECONDS: intInRange(
      1,
      43_200,
    )({ default: defaults.backoffBaseSeconds, desc: 'First retry delay cap' }),
    BACKOFF_MAX_SECONDS: intInRange(
      1,
      43_200,
    )({ default: defaults.backoffMaxSeconds, desc: 'Largest retry delay' }),
    LEDGER_RETENTION_DAYS: intInRange(
      defaults.minLedgerRetentionDays ?? 1,
      3650,
    )({ default: defaults.ledgerRetentionDays, desc: 'TTL of finished ledger records (GC only)' }),
    WORKER_ID: str({
      default: '',
      desc: 'Lease owner prefix; default the host name (the pod name on Kubernetes)',
    }),
  };
}

/** The values `readConfig` returns for `consumerConfigSpec`. */
export interface ConsumerConfigValues {
  WORKER_CONCURRENCY: number;
  VISIBILITY_TIMEOUT_SECONDS: number;
  HEARTBEAT_INTERVAL_SECONDS: number;
  LEASE_DURATION_MS: number;
  MAX_RECEIVE_COUNT: number;
  SHUTDOWN_GRACE_MS: number;
  HEALTH_PORT: number;
  RECEIVE_BATCH_SIZE: number;
  RECEIVE_WAIT_SECONDS: number;
  RECEIVE_PREFETCH: number;
  DELETE_LINGER_MS: number;
  BACKOFF_BASE_SECONDS: number;
  BACKOFF_MAX_SECONDS: number;
  LEDGER_RETENTION_DAYS: number;
  WORKER_ID: string;
}

export interface ConsumerConfig {
  concurrency: number;
  visibilityTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  leaseDurationMs: number;
  /** undefined: read from the queue's RedrivePolicy at start-up (readMaxReceiveCount). */
  maxReceiveCount: number | undefined;
  shutdownGraceMs: number;
  healthPort: number;
  batchSize: number;
  waitTimeSeconds: number;
  prefetch: number;
  deleteLingerMs: number;
  backoff: { baseSeconds: number; maxSeconds: number };
  ledgerRetentionMs: number;
  workerId: string | undefined;
}

/**
 * Maps the values to a ConsumerConfig, pushing onto `problems` every relation between them that
 * would break the consumer (so the service throws one ConfigError naming all of them).
 */
export function readConsumerConfig(c: ConsumerConfigValues, problems: string[]): ConsumerConfig {
  checkQueueSettings(
    '',
    {
      heartbeatIntervalSeconds: c.HEARTBEAT_INTERVAL_SECONDS,
      visibilityTimeoutSeconds: c.VISIBILITY_TIMEOUT_SECONDS,
      backoff: { baseSeconds: c.BACKOFF_BASE_SECONDS, maxSeconds: c.BACKOFF_MAX_SECONDS },
    },
    problems,
  );
  const lingerRoomMs = ((c.VISIBILITY_TIMEOUT_SECONDS - c.HEARTBEAT_INTERVAL_SECONDS) * 1000) / 2;
  // Only once the heartbeat fits inside the visibility (otherwise that problem is already named).
  if (lingerRoomMs > 0 && c.DELETE_LINGER_MS > 0 && c.DELETE_LINGER_MS >= lingerRoomMs) {
    problems.push(
      `DELETE_LINGER_MS: must be below half of (VISIBILITY_TIMEOUT_SECONDS - HEARTBEAT_INTERVAL_SECONDS) x 1000 (${lingerRoomMs}): after its last heartbeat an acked message is invisible for at least that difference, and must be deleted well inside it (received ${c.DELETE_LINGER_MS})`,
    );
  }
  if (c.LEASE_DURATION_MS <= c.HEARTBEAT_INTERVAL_SECONDS * 1000) {
    problems.push(
      `LEASE_DURATION_MS: must exceed HEARTBEAT_INTERVAL_SECONDS x 1000 (${c.HEARTBEAT_INTERVAL_SECONDS * 1000}), or the lease lapses between renewals (received ${c.LEASE_DURATION_MS})`,
    );
  }
  return {
    concurrency: c.WORKER_CONCURRENCY,
    visibilityTimeoutSeconds: c.VISIBILITY_TIMEOUT_SECONDS,
    heartbeatIntervalSeconds: c.HEARTBEAT_INTERVAL_SECONDS,
    leaseDurationMs: c.LEASE_DURATION_MS,
    maxReceiveCount: c.MAX_RECEIVE_COUNT === 0 ? undefined : c.MAX_RECEIVE_COUNT,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    healthPort: c.HEALTH_PORT,
    batchSize: c.RECEIVE_BATCH_SIZE,
    waitTimeSeconds: c.RECEIVE_WAIT_SECONDS,
    prefetch: c.RECEIVE_PREFETCH,
    deleteLingerMs: c.DELETE_LINGER_MS,
    backoff: { baseSeconds: c.BACKOFF_BASE_SECONDS, maxSeconds: c.BACKOFF_MAX_SECONDS },
    ledgerRetentionMs: c.LEDGER_RETENTION_DAYS * 24 * 3600 * 1000,
    workerId: c.WORKER_ID === '' ? undefined : c.WORKER_ID,
  };
}

/** The createReliableConsumer options that come straight from the configuration. */
export type ConsumerTimingOptions = Pick<
  ReliableConsumerOptions,
  | 'concurrency'
  | 'batchSize'
  | 'waitTimeSeconds'
  | 'prefetch'
  | 'deleteLingerMs'
  | 'visibilityTimeoutSeconds'
  | 'heartbeatIntervalSeconds'
  | 'backoff'
  | 'shutdownTimeoutMs'
>;

export function consumerOptionsFrom(config: ConsumerConfig): ConsumerTimingOptions {
  return {
    concurrency: config.concurrency,
    batchSize: config.batchSize,
    waitTimeSeconds: config.waitTimeSeconds,
    prefetch: config.prefetch,
    deleteLingerMs: config.deleteLingerMs,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    backoff: config.backoff,
    shutdownTimeoutMs: config.shutdownGraceMs,
  };
}

/** The queue-facing settings every consumer has, lease or not (a subset of ConsumerConfig). */
export interface QueueConsumerSettings {
  concurrency: number;
  batchSize: number;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  backoff: { baseSeconds: number; maxSeconds: number };
}

export type QueueConsumerDefaults = Pick<
  ConsumerConfigDefaults,
  | 'concurrency'
  | 'visibilityTimeoutSeconds'
  | 'heartbeatIntervalSeconds'
  | 'backoffBaseSeconds'
  | 'backoffMaxSeconds'
>;

/**
 * One rule for every consumer: heartbeats come before the visibility runs out, and backoff starts
 * below its cap. `prefix` is empty for a service whose consumer is its main job, else e.g. `INVITE_EVENTS_`.
 */
function checkQueueSettings(
  prefix: string,
  s: Pick<QueueConsumerSettings, 'heartbeatIntervalSeconds' | 'visibilityTimeoutSeconds' | 'backoff'>,
  problems: string[],
): void {
  if (s.heartbeatIntervalSeconds >= s.visibilityTimeoutSeconds) {
    problems.push(
      `${prefix}HEARTBEAT_INTERVAL_SECONDS: must be below ${prefix}VISIBILITY_TIMEOUT_SECONDS (${s.visibilityTimeoutSeconds}), or a message reappears between beats (received ${s.heartbeatIntervalSeconds})`,
    );
  }
  if (s.backoff.baseSeconds > s.backoff.maxSeconds) {
    problems.push(
      `${prefix}BACKOFF_BASE_SECONDS: must not exceed ${prefix}BACKOFF_MAX_SECONDS (${s.backoff.maxSeconds}) (received ${s.backoff.baseSeconds})`,
    );
  }
}

/**
 * The consumer settings of a service that runs a consumer beside its main job (invite-api's
 * invite-events consumer), under a prefix: `<prefix>CONCURRENCY`, `<prefix>VISIBILITY_TIMEOUT_SECONDS`,
 * `<prefix>HEARTBEAT_INTERVAL_SECONDS`, `<prefix>BATCH_SIZE`, `<prefix>WAIT_SECONDS`,
 * `<prefix>BACKOFF_BASE_SECONDS`, `<prefix>BACKOFF_MAX_SECONDS`, with the same bounds and the same
 * checks as consumerConfigSpec. Problems are pushed onto `problems` (the service throws one ConfigError).
 */
export function readPrefixedConsumerSettings(
  env: NodeJS.ProcessEnv,
  prefix: string,
  defaults: QueueConsumerDefaults,
  problems: string[],
): QueueConsumerSettings {
  const base = consumerConfigSpec({
    ...defaults,
    leaseDurationMs: 60_000,
    shutdownGraceMs: 0,
    healthPort: 0,
    ledgerRetentionDays: 1,
  });
  const names = {
    concurrency: [`${prefix}CONCURRENCY`, base.WORKER_CONCURRENCY],
    batchSize: [`${prefix}BATCH_SIZE`, base.RECEIVE_BATCH_SIZE],
    waitTimeSeconds: [`${prefix}WAIT_SECONDS`, base.RECEIVE_WAIT_SECONDS],
    visibilityTimeoutSeconds: [`${prefix}VISIBILITY_TIMEOUT_SECONDS`, base.VISIBILITY_TIMEOUT_SECONDS],
    heartbeatIntervalSeconds: [`${prefix}HEARTBEAT_INTERVAL_SECONDS`, base.HEARTBEAT_INTERVAL_SECONDS],
    backoffBaseSeconds: [`${prefix}BACKOFF_BASE_SECONDS`, base.BACKOFF_BASE_SECONDS],
    backoffMaxSeconds: [`${prefix}BACKOFF_MAX_SECONDS`, base.BACKOFF_MAX_SECONDS],
  } as const;
  // One variable at a time: a bad one is named and replaced by its default, so the relations
  // between the good ones are still checked and every problem is reported in one go.
  const raw: Record<string, number> = {};
  for (const [name, validator] of Object.values(names)) {
    try {
      raw[name] = readConfig({ [name]: validator }, env)[name] as number;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      raw[name] = validator.default as number;
    }
  }
  const value = (key: keyof typeof names) => raw[names[key][0]] as number;
  const settings: QueueConsumerSettings = {
    concurrency: value('concurrency'),
    batchSize: value('batchSize'),
    waitTimeSeconds: value('waitTimeSeconds'),
    visibilityTimeoutSeconds: value('visibilityTimeoutSeconds'),
    heartbeatIntervalSeconds: value('heartbeatIntervalSeconds'),
    backoff: { baseSeconds: value('backoffBaseSeconds'), maxSeconds: value('backoffMaxSeconds') },
  };
  checkQueueSettings(prefix, settings, problems);
  return settings;
}
