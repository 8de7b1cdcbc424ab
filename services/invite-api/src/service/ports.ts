import type { Metrics } from '@platform/telemetry';

/** The part of `@platform/telemetry`'s Metrics the service uses (flushing is main.ts's business). */
export type MetricsPort = Pick<Metrics, 'count'>;
