import type { Metrics } from '@platform/telemetry';

/** Count metrics this service emits (names from the telemetry catalogue). */
export type InviteMetricName =
  | 'InvitationsCreated'
  | 'InvitationsRejected'
  | 'InvitationsSent'
  | 'InvitationsDelivered'
  | 'InvitationsFailed'
  | 'InvitationsUndeliverable'
  | 'InvitationsAccepted'
  | 'InvitationsShareCardFailed';

/** The part of `@platform/telemetry`'s Metrics the service uses (flushing is main.ts's business). */
export type MetricsPort = Pick<Metrics, 'count'>;
