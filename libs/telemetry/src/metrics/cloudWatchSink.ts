import type { CloudWatchClient, MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { MetricGroup } from './emf.ts';

// PutMetricData limits (API reference, PutMetricData): "no more than 1000 different metrics" per
// request, "limited to 1 MB in size for HTTP POST requests", and "up to 150 values per metric"
// through Values/Counts.
export const PUT_METRIC_DATA_MAX_DATUMS = 1000;
export const PUT_METRIC_DATA_MAX_BYTES = 1_000_000;
export const PUT_METRIC_DATA_MAX_VALUES = 150;
// Request overhead (namespace, framing, signing headers are outside the body) kept as headroom.
const BODY_HEADROOM_BYTES = 50_000;

/** One MetricDatum per metric and up to 150 distinct values (Values + Counts), Counts summed. */
export function toMetricData(group: MetricGroup, timestamp: Date): MetricDatum[] {
  const dimensions = Object.entries(group.dimensions).map(([Name, Value]) => ({ Name, Value }));
  const data: MetricDatum[] = [];
  for (const metric of group.metrics) {
    const counts = new Map<number, number>();
    for (const value of metric.values) counts.set(value, (counts.get(value) ?? 0) + 1);
    const distinct = [...counts.entries()];
    for (let start = 0; start < distinct.length; start += PUT_METRIC_DATA_MAX_VALUES) {
      const chunk = distinct.slice(start, start + PUT_METRIC_DATA_MAX_VALUES);
      data.push({
        MetricName: metric.name,
        Unit: metric.unit as StandardUnit,
        Dimensions: dimensions,
        Timestamp: timestamp,
        Values: chunk.map(([value]) => value),
        Counts: chunk.map(([, count]) => count),
      });
    }
  }
  return data;
}

/** Splits data into requests within the datum-count and body-size limits. */
export function batchMetricData(data: MetricDatum[]): MetricDatum[][] {
  const batches: MetricDatum[][] = [];
  let current: MetricDatum[] = [];
  let bytes = 0;
  for (const datum of data) {
    const size = JSON.stringify(datum).length;
    if (
      current.length > 0 &&
      (current.length === PUT_METRIC_DATA_MAX_DATUMS ||
        bytes + size > PUT_METRIC_DATA_MAX_BYTES - BODY_HEADROOM_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(datum);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Sends the groups with as few PutMetricData calls as the limits allow. */
export async function putMetricGroups(
  client: CloudWatchClient,
  namespace: string,
  groups: MetricGroup[],
  timestamp: Date,
): Promise<number> {
  const batches = batchMetricData(groups.flatMap((group) => toMetricData(group, timestamp)));
  if (batches.length === 0) return 0;
  // Loaded on first use: importing an AWS SDK client at module load would load it before the
  // aws-sdk instrumentation is enabled when this lib is imported early.
  const { PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  for (const batch of batches) {
    await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }));
  }
  return batches.length;
}
