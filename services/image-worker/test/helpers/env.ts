import type { IsolatedAws } from '@platform/testkit';

/**
 * A worker's environment for tests: the isolated resources, short timings (so failures, expiries
 * and redeliveries happen in seconds), one render thread (2 cores are shared by every test).
 */
export function workerEnv(aws: IsolatedAws, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...aws.env,
    OTEL_SERVICE_NAME: 'image-worker',
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'stdout',
    RECEIVE_WAIT_SECONDS: '1',
    VISIBILITY_TIMEOUT_SECONDS: '4',
    HEARTBEAT_INTERVAL_SECONDS: '1',
    // Well above DynamoDB Local's latency on a loaded 2-core machine: a holder abandons a lease
    // whose acquire answer arrives with less than skew + margin (2 x lease/10) of it left.
    LEASE_DURATION_MS: '8000',
    RENDER_THREADS: '1',
    WORKER_CONCURRENCY: '2',
    SHUTDOWN_GRACE_MS: '15000',
    BACKOFF_BASE_SECONDS: '1',
    BACKOFF_MAX_SECONDS: '2',
    ...overrides,
  };
}
