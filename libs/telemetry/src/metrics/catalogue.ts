// THE list of metrics: code (typed names and dimensions), dashboards and tests all read it.

/** CloudWatch units we use (a subset of the PutMetricData / EMF StandardUnit values). */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes';
export type OwningService = 'image-worker' | 'sms-sender' | 'invite-api';

export interface MetricDefinition {
  unit: MetricUnit;
  /** Dimension keys, in order. `Service` is always first and filled in by createMetrics. */
  dimensions: readonly string[];
  service: OwningService;
  description: string;
}

const IMAGE = ['Service', 'Template'] as const;
const SMS = ['Service', 'Provider'] as const;
const SERVICE = ['Service'] as const;

export const METRIC_CATALOGUE = {
  // image-worker
  JobsSucceeded: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Image jobs completed and uploaded.',
  },
  JobsFailed: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Image jobs that failed permanently.',
  },
  JobsRetried: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Image job attempts that failed transiently and will be retried.',
  },
  JobsDeadLettered: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Image job messages sent to the DLQ.',
  },
  JobsDeadLetteredByReason: {
    unit: 'Count',
    dimensions: ['Service', 'Reason'],
    service: 'image-worker',
    description:
      'Image jobs dead-lettered, by reason code (TEMPLATE_UNKNOWN, ATTEMPTS_EXHAUSTED, ...): bounded by the codes the worker defines.',
  },
  JobsCancelled: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description:
      'Cancelled jobs the worker met: a delivery acknowledged without work, or a running job abandoned at its heartbeat.',
  },
  QueueToCompleteMs: {
    unit: 'Milliseconds',
    dimensions: IMAGE,
    service: 'image-worker',
    description: "Time from the producer's QUEUED record (submit) to the ledger's COMPLETED.",
  },
  DuplicateDeliveries: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Deliveries of already completed jobs, acknowledged without work.',
  },
  LeaseLost: {
    unit: 'Count',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Jobs abandoned because the DynamoDB lease was taken over (fencing failed).',
  },
  JobDurationMs: {
    unit: 'Milliseconds',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Time from lease acquired to job completed.',
  },
  RenderMs: {
    unit: 'Milliseconds',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Time to draw and encode one image (worker thread).',
  },
  QueueWaitMs: {
    unit: 'Milliseconds',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Time from job requestedAt to processing start.',
  },
  OutputBytes: {
    unit: 'Bytes',
    dimensions: IMAGE,
    service: 'image-worker',
    description: 'Size of the uploaded image.',
  },
  EventLoopLagMs: {
    unit: 'Milliseconds',
    dimensions: SERVICE,
    service: 'image-worker',
    description: 'Event loop delay samples; heartbeats starve when this grows.',
  },
  // sms-sender
  SmsSent: {
    unit: 'Count',
    dimensions: SMS,
    service: 'sms-sender',
    description: 'SMS accepted by the provider.',
  },
  SmsFailed: {
    unit: 'Count',
    dimensions: SMS,
    service: 'sms-sender',
    description: 'SMS that failed permanently.',
  },
  SmsRetried: {
    unit: 'Count',
    dimensions: SMS,
    service: 'sms-sender',
    description: 'SMS attempts that failed transiently and will be retried.',
  },
  SmsDuplicateSuppressed: {
    unit: 'Count',
    dimensions: SMS,
    service: 'sms-sender',
    description: 'Requests for an invitation already sent, not sent again.',
  },
  ProviderLatencyMs: {
    unit: 'Milliseconds',
    dimensions: SMS,
    service: 'sms-sender',
    description: 'Latency of one provider send call.',
  },
  // invite-api
  InvitationsCreated: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description: 'Invitations recorded and queued for SMS.',
  },
  InvitationsRejected: {
    unit: 'Count',
    dimensions: ['Service', 'Reason'],
    service: 'invite-api',
    description: 'Invitation requests refused (validation, rate limit), by reason.',
  },
  InvitationsSent: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description: 'Status reports: SMS sent.',
  },
  InvitationsDelivered: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description: 'Status reports: SMS delivered.',
  },
  InvitationsFailed: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description: 'Status reports: SMS failed.',
  },
  InvitationsUndeliverable: {
    unit: 'Count',
    dimensions: ['Service', 'Reason'],
    service: 'invite-api',
    description:
      'SMS requests the queue refused for good (e.g. InvalidMessageContents): invitation failed, by reason.',
  },
  InvitationsAccepted: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description: 'Invitations redeemed with their code.',
  },
  InvitationsShareCardFailed: {
    unit: 'Count',
    dimensions: SERVICE,
    service: 'invite-api',
    description:
      'Share-card image jobs that could not be submitted (the landing page keeps the static card).',
  },
} as const satisfies Record<string, MetricDefinition>;

export type Catalogue = typeof METRIC_CATALOGUE;
export type MetricName = keyof Catalogue;
export type CountMetricName = {
  [N in MetricName]: Catalogue[N]['unit'] extends 'Count' ? N : never;
}[MetricName];
/** Distributions: durations and sizes (recorded value by value, so percentiles work). */
export type ValueMetricName = Exclude<MetricName, CountMetricName>;
/** The dimensions a caller supplies for a metric (all but `Service`, which createMetrics adds). */
export type MetricDimensions<N extends MetricName> = {
  [D in Exclude<Catalogue[N]['dimensions'][number], 'Service'>]: string;
};

export const METRIC_NAMES = Object.keys(METRIC_CATALOGUE) as MetricName[];

export function metricDefinition(name: MetricName): MetricDefinition {
  return METRIC_CATALOGUE[name];
}

/** Metrics owned by one service, e.g. for its dashboard or its tests. */
export function metricsOf(service: OwningService): MetricName[] {
  return METRIC_NAMES.filter((name) => METRIC_CATALOGUE[name].service === service);
}
