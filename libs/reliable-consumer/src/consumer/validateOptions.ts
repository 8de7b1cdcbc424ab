import { InvalidOptionsError } from '../errors.ts';
import type { ContractName } from '@platform/contracts';
import type { ReliableConsumerOptions } from './types.ts';

// SQS limits (Amazon SQS Developer Guide, quotas): ReceiveMessage returns 1..10 messages, long polling
// waits 0..20 s, and a message's visibility timeout cannot exceed 12 h (43200 s) from its receive.
export const SQS_MAX_BATCH = 10;
export const SQS_MAX_WAIT_SECONDS = 20;
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
// Beyond this a single process is the wrong unit of scale (and file descriptors run out); scale out.
const MAX_CONCURRENCY = 1000;
const MAX_PREFETCH = 1000;
// A lingering delete is a latency trade, not a buffer: beyond a second it only keeps messages in flight.
const MAX_DELETE_LINGER_MS = 1000;

export type ResolvedOptions<C extends ContractName> = Required<
  Omit<ReliableConsumerOptions<C>, 'onOutcome' | 'logBindings' | 'onPoison'>
> &
  Pick<ReliableConsumerOptions<C>, 'onOutcome' | 'logBindings' | 'onPoison'>;

const isInt = (value: unknown): value is number => Number.isInteger(value);

/** Applies defaults in one place and rejects every broken limit at once, naming the limit. */
export function resolveOptions<C extends ContractName>(
  options: ReliableConsumerOptions<C>,
): ResolvedOptions<C> {
  const resolved: ResolvedOptions<C> = {
    ...options,
    batchSize: options.batchSize ?? SQS_MAX_BATCH,
    prefetch: options.prefetch ?? 0,
    deleteLingerMs: options.deleteLingerMs ?? 0,
    waitTimeSeconds: options.waitTimeSeconds ?? SQS_MAX_WAIT_SECONDS,
    maxVisibilitySeconds: options.maxVisibilitySeconds ?? SQS_MAX_VISIBILITY_SECONDS,
  };
  const p: string[] = [];
  if (!resolved.queueUrl) p.push('queueUrl is required');
  if (!resolved.dlqUrl) p.push('dlqUrl is required');
  if (resolved.dlqUrl && resolved.dlqUrl === resolved.queueUrl) p.push('dlqUrl must differ from queueUrl');
  if (!resolved.name) p.push('name is required');
  if (!Array.isArray(resolved.contracts) || resolved.contracts.length === 0)
    p.push('contracts must list at least one contract name');
  if (typeof resolved.handler !== 'function') p.push('handler must be a function');
  if (!isInt(resolved.concurrency) || resolved.concurrency < 1 || resolved.concurrency > MAX_CONCURRENCY)
    p.push(`concurrency must be an integer between 1 and ${MAX_CONCURRENCY}, got ${resolved.concurrency}`);
  if (!isInt(resolved.batchSize) || resolved.batchSize < 1 || resolved.batchSize > SQS_MAX_BATCH)
    p.push(
      `batchSize must be an integer between 1 and ${SQS_MAX_BATCH} (SQS limit), got ${resolved.batchSize}`,
    );
  if (!isInt(resolved.prefetch) || resolved.prefetch < 0 || resolved.prefetch > MAX_PREFETCH)
    p.push(`prefetch must be an integer between 0 and ${MAX_PREFETCH}, got ${resolved.prefetch}`);
  // After its last heartbeat an acked message stays invisible for at least visibility - interval:
  // a lingering delete must land well inside that, or the message could reappear before it.
  const lingerRoomMs =
    isInt(resolved.visibilityTimeoutSeconds) && typeof resolved.heartbeatIntervalSeconds === 'number'
      ? ((resolved.visibilityTimeoutSeconds - resolved.heartbeatIntervalSeconds) * 1000) / 2
      : Number.POSITIVE_INFINITY;
  if (
    !isInt(resolved.deleteLingerMs) ||
    resolved.deleteLingerMs < 0 ||
    resolved.deleteLingerMs > MAX_DELETE_LINGER_MS ||
    (resolved.deleteLingerMs > 0 && resolved.deleteLingerMs >= lingerRoomMs)
  )
    p.push(
      `deleteLingerMs must be an integer between 0 and ${MAX_DELETE_LINGER_MS}, and below half of (visibilityTimeoutSeconds - heartbeatIntervalSeconds) in ms (an acked message must be deleted long before it could reappear), got ${resolved.deleteLingerMs}`,
    );
  if (
    !isInt(resolved.waitTimeSeconds) ||
    resolved.waitTimeSeconds < 0 ||
    resolved.waitTimeSeconds > SQS_MAX_WAIT_SECONDS
  )
    p.push(
      `waitTimeSeconds must be an integer between 0 and ${SQS_MAX_WAIT_SECONDS} (SQS limit), got ${resolved.waitTimeSeconds}`,
    );
  if (
    !isInt(resolved.maxVisibilitySeconds) ||
    resolved.maxVisibilitySeconds < 1 ||
    resolved.maxVisibilitySeconds > SQS_MAX_VISIBILITY_SECONDS
  )
    p.push(
      `maxVisibilitySeconds must be an integer between 1 and ${SQS_MAX_VISIBILITY_SECONDS} (SQS 12 h ceiling), got ${resolved.maxVisibilitySeconds}`,
    );
  if (
    !isInt(resolved.visibilityTimeoutSeconds) ||
    resolved.visibilityTimeoutSeconds < 1 ||
    resolved.visibilityTimeoutSeconds > resolved.maxVisibilitySeconds
  )
    p.push(
      `visibilityTimeoutSeconds must be an integer between 1 and maxVisibilitySeconds (${resolved.maxVisibilitySeconds}), got ${resolved.visibilityTimeoutSeconds}`,
    );
  if (
    typeof resolved.heartbeatIntervalSeconds !== 'number' ||
    !(resolved.heartbeatIntervalSeconds > 0) ||
    resolved.heartbeatIntervalSeconds >= resolved.visibilityTimeoutSeconds
  )
    p.push(
      `heartbeatIntervalSeconds must be > 0 and below visibilityTimeoutSeconds (${resolved.visibilityTimeoutSeconds}) so visibility is extended before it lapses, got ${resolved.heartbeatIntervalSeconds}`,
    );
  const backoff = resolved.backoff as ResolvedOptions<C>['backoff'] | undefined;
  if (backoff === undefined) p.push('backoff { baseSeconds, maxSeconds } is required');
  else {
    if (!isInt(backoff.baseSeconds) || backoff.baseSeconds < 0)
      p.push(`backoff.baseSeconds must be a non-negative integer, got ${backoff.baseSeconds}`);
    if (
      !isInt(backoff.maxSeconds) ||
      backoff.maxSeconds < backoff.baseSeconds ||
      backoff.maxSeconds > SQS_MAX_VISIBILITY_SECONDS
    )
      p.push(
        `backoff.maxSeconds must be an integer between baseSeconds and ${SQS_MAX_VISIBILITY_SECONDS} (SQS visibility limit), got ${backoff.maxSeconds}`,
      );
  }
  if (!isInt(resolved.shutdownTimeoutMs) || resolved.shutdownTimeoutMs < 0)
    p.push(`shutdownTimeoutMs must be a non-negative integer (ms), got ${resolved.shutdownTimeoutMs}`);
  if (p.length > 0) throw new InvalidOptionsError(`reliable consumer "${options.name}"`, p);
  return resolved;
}
