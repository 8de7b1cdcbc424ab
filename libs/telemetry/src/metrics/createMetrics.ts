import { metrics as otelMetrics, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConfigError } from '@platform/errors';
import {
  METRIC_CATALOGUE,
  type CountMetricName,
  type MetricDefinition,
  type MetricDimensions,
  type MetricName,
  type ValueMetricName,
} from './catalogue.ts';
import { EMF_MAX_DIMENSIONS_PER_SET, toEmfDocuments, type MetricGroup } from './emf.ts';
import { putMetricGroups } from './cloudWatchSink.ts';
import { otelMetric } from './naming.ts';
import type { MetricsSink } from '../config.ts';
import { METER_NAME } from '../constants.ts';

export interface MetricsDependencies {
  /** Where EMF lines go; defaults to process.stdout.write. One call per document, newline-terminated. */
  write?: (line: string) => void;
  /** Required when sink is 'cloudwatch'. */
  cloudWatch?: CloudWatchClient;
  /** Defaults to the global meter (a no-op unless startTelemetry configured OTLP metrics). */
  meter?: Meter;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Told about failed background flushes (interval timer), which have no caller to throw to. */
  onFlushError?: (error: unknown) => void;
}

export interface MetricsOptions {
  /** CloudWatch namespace (METRICS_NAMESPACE, default EventPlatform). */
  namespace: string;
  /** The `Service` dimension on every metric. */
  service: string;
  /** Default 'stdout' (EMF lines). */
  sink?: MetricsSink;
  /** Background flush period; default 10 s, 0 disables. The timer is unref'd. */
  flushIntervalMs?: number;
}

/** Dimensions are required exactly when the metric has dimensions besides `Service`. */
type DimensionArgs<N extends MetricName> = keyof MetricDimensions<N> extends never
  ? []
  : [dimensions: MetricDimensions<N>];
type CountArgs<N extends CountMetricName> = keyof MetricDimensions<N> extends never
  ? [value?: number]
  : [value: number, dimensions: MetricDimensions<N>];

export interface Metrics {
  /** Adds to a Count metric (default 1). Summed per dimension set until the next flush. */
  count<N extends CountMetricName>(name: N, ...args: CountArgs<N>): void;
  /** Records one value of a Milliseconds/Bytes metric (kept value by value, for percentiles). */
  record<N extends ValueMetricName>(name: N, value: number, ...dimensions: DimensionArgs<N>): void;
  /** Writes/sends everything buffered. Call at the end of each unit of work (job, message, request). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

interface Buffered {
  dimensions: Record<string, string>;
  values: Map<MetricName, number[]>;
}

/**
 * Metrics recorded twice: buffered for CloudWatch (EMF lines on stdout, or PutMetricData) and on
 * an OTel meter (counter for Count, histogram for Milliseconds/Bytes) so OTLP export feeds the
 * Prometheus dashboards. Names and dimensions come from METRIC_CATALOGUE.
 */
export function createMetrics(deps: MetricsDependencies, options: MetricsOptions): Metrics {
  const sink = options.sink ?? 'stdout';
  const cloudWatch = deps.cloudWatch;
  if (sink === 'cloudwatch' && cloudWatch === undefined) {
    throw new ConfigError(['METRICS_SINK=cloudwatch needs a CloudWatch client (deps.cloudWatch)']);
  }
  const write = deps.write ?? ((line: string) => void process.stdout.write(line));
  const now = deps.now ?? Date.now;
  const meter = deps.meter ?? otelMetrics.getMeter(METER_NAME);
  const instruments = new Map<MetricName, Counter | Histogram>();
  let buffer = new Map<string, Buffered>();

  function instrument(name: MetricName): Counter | Histogram {
    let existing = instruments.get(name);
    if (existing === undefined) {
      const otel = otelMetric(name);
      const { description } = METRIC_CATALOGUE[name];
      existing =
        otel.kind === 'counter'
          ? meter.createCounter(otel.name, { unit: otel.unit, description })
          : meter.createHistogram(otel.name, {
              unit: otel.unit,
              description,
              // Byte sizes need their own buckets; the SDK default (0..10000) suits milliseconds.
              ...(otel.unit === 'By' ? { advice: { explicitBucketBoundaries: BYTE_BUCKETS } } : {}),
            });
      instruments.set(name, existing);
    }
    return existing;
  }

  function add(name: MetricName, value: number, given: Record<string, string> | undefined): void {
    const definition: MetricDefinition = METRIC_CATALOGUE[name];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`metric ${name}: value must be a finite number >= 0, got ${value}`);
    }
    const dimensions: Record<string, string> = {};
    for (const key of definition.dimensions) {
      const dimensionValue = key === 'Service' ? options.service : given?.[key];
      if (dimensionValue === undefined || dimensionValue === '') {
        throw new TypeError(`metric ${name}: dimension ${key} is required`);
      }
      dimensions[key] = dimensionValue;
    }
    for (const key of Object.keys(given ?? {})) {
      if (!definition.dimensions.includes(key)) {
        throw new TypeError(
          `metric ${name}: ${key} is not one of its dimensions (${definition.dimensions.join(', ')})`,
        );
      }
    }
    const key = JSON.stringify(Object.entries(dimensions));
    let group = buffer.get(key);
    if (group === undefined) {
      group = { dimensions, values: new Map() };
      buffer.set(key, group);
    }
    const values = group.values.get(name) ?? [];
    if (definition.unit === 'Count') {
      // Counts are summed per flush: CloudWatch's Sum is unchanged and documents stay small.
      values[0] = (values[0] ?? 0) + value;
    } else {
      values.push(value);
    }
    group.values.set(name, values);
    const otel = instrument(name);
    if ('add' in otel) otel.add(value, dimensions);
    else otel.record(value, dimensions);
  }

  async function flush(): Promise<void> {
    if (buffer.size === 0) return;
    const drained = buffer;
    buffer = new Map();
    const groups: MetricGroup[] = [...drained.values()].map(({ dimensions, values }) => ({
      dimensions,
      metrics: [...values.entries()].map(([name, metricValues]) => ({
        name,
        unit: METRIC_CATALOGUE[name].unit,
        values: metricValues,
      })),
    }));
    const timestamp = now();
    if (sink === 'stdout') {
      for (const group of groups) {
        for (const document of toEmfDocuments(options.namespace, timestamp, group)) {
          write(`${JSON.stringify(document)}\n`);
        }
      }
    } else if (sink === 'cloudwatch' && cloudWatch !== undefined) {
      await putMetricGroups(cloudWatch, options.namespace, groups, new Date(timestamp));
    }
  }

  const interval = options.flushIntervalMs ?? 10_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          flush().catch((error: unknown) => deps.onFlushError?.(error));
        }, interval)
      : undefined;
  // A metrics timer must never keep a draining process alive.
  timer?.unref();

  return {
    count(name, ...args) {
      const [value, dimensions] = args as unknown as [number | undefined, Record<string, string> | undefined];
      add(name, value ?? 1, dimensions);
    },
    record(name, value, ...args) {
      const [dimensions] = args as unknown as [Record<string, string> | undefined];
      add(name, value, dimensions);
    },
    flush,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await flush();
    },
  };
}

/** 1 KiB .. 16 MiB in powers of 4: generated images are tens to hundreds of KiB. */
const BYTE_BUCKETS = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];

// Checked once at load: a catalogue entry over the EMF limit would fail on every flush.
for (const [name, definition] of Object.entries(METRIC_CATALOGUE)) {
  if (definition.dimensions.length > EMF_MAX_DIMENSIONS_PER_SET) {
    throw new RangeError(`metric ${name} has more than ${EMF_MAX_DIMENSIONS_PER_SET} dimensions`);
  }
}
