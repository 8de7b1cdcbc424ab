// CloudWatch Embedded Metric Format documents.
//
// Hand-written rather than aws-embedded-metrics: that library picks its sink by probing the
// environment (EC2/ECS metadata, agent over TCP/UDP) unless configured through its own global
// env vars, writes through console.log rather than an injectable function, and knows nothing of
// our typed catalogue; the format itself is a small JSON shape with four limits, all below.
// Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

/** "A MetricDirective object ... Metrics: ... MUST NOT contain more than 100 MetricDefinition objects." */
export const EMF_MAX_METRICS_PER_DOCUMENT = 100;
/** "A DimensionSet MUST NOT contain more than 30 dimension keys." */
export const EMF_MAX_DIMENSIONS_PER_SET = 30;
/** "Arrays of values ... MUST NOT contain more than 100 values." (per metric, per document) */
export const EMF_MAX_VALUES_PER_METRIC = 100;

export interface EmfMetricDefinition {
  Name: string;
  Unit: string;
}

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: EmfMetricDefinition[] }>;
  };
  [member: string]: unknown;
}

/** The values recorded under one dimension set since the last flush. */
export interface MetricGroup {
  /** Dimension name -> value, in the order of the dimension set. */
  dimensions: Record<string, string>;
  metrics: Array<{ name: string; unit: string; values: number[] }>;
}

/**
 * Turns one group into as many documents as the limits require: at most 100 metrics per document
 * and at most 100 values per metric array. A metric with 250 values spans 3 documents; 150
 * metrics with one value each span 2.
 */
export function toEmfDocuments(namespace: string, timestamp: number, group: MetricGroup): EmfDocument[] {
  const dimensionKeys = Object.keys(group.dimensions);
  if (dimensionKeys.length > EMF_MAX_DIMENSIONS_PER_SET) {
    throw new RangeError(
      `an EMF dimension set has at most ${EMF_MAX_DIMENSIONS_PER_SET} keys; got ${dimensionKeys.length}`,
    );
  }
  // Slice every metric's values into chunks of 100; chunk i of each metric goes into round i.
  const rounds: Array<Array<{ name: string; unit: string; values: number[] }>> = [];
  for (const metric of group.metrics) {
    for (
      let start = 0, round = 0;
      start < metric.values.length;
      start += EMF_MAX_VALUES_PER_METRIC, round += 1
    ) {
      (rounds[round] ??= []).push({
        ...metric,
        values: metric.values.slice(start, start + EMF_MAX_VALUES_PER_METRIC),
      });
    }
  }
  const documents: EmfDocument[] = [];
  for (const round of rounds) {
    for (let start = 0; start < round.length; start += EMF_MAX_METRICS_PER_DOCUMENT) {
      const batch = round.slice(start, start + EMF_MAX_METRICS_PER_DOCUMENT);
      const document: EmfDocument = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [dimensionKeys],
              Metrics: batch.map(({ name, unit }) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        ...group.dimensions,
      };
      for (const metric of batch) {
        document[metric.name] = metric.values.length === 1 ? metric.values[0] : metric.values;
      }
      documents.push(document);
    }
  }
  return documents;
}
