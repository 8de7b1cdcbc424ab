import { METRIC_CATALOGUE, type MetricName, type MetricUnit } from './catalogue.ts';

/** UCUM units used on the OTel instruments (what OTLP carries and the collector translates). */
export const OTEL_UNITS: Record<MetricUnit, string> = { Count: '1', Milliseconds: 'ms', Bytes: 'By' };

export type OtelInstrumentKind = 'counter' | 'histogram';

export interface OtelMetricIdentity {
  /** Instrument name on the OTel meter, e.g. `job_duration`. */
  name: string;
  unit: string;
  kind: OtelInstrumentKind;
}

/**
 * OTel instrument name: the catalogue name in snake_case, without a trailing `Ms` (the unit `ms`
 * carries it and the Prometheus translation appends `_milliseconds`): `JobDurationMs` ->
 * `job_duration` (unit ms), `OutputBytes` -> `output_bytes` (unit By), `SmsSent` -> `sms_sent`.
 */
export function otelMetric(name: MetricName): OtelMetricIdentity {
  const { unit } = METRIC_CATALOGUE[name];
  const base = name.replace(/Ms$/, '');
  return {
    name: base.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(),
    unit: OTEL_UNITS[unit],
    kind: unit === 'Count' ? 'counter' : 'histogram',
  };
}

/**
 * OTLP -> Prometheus name translation as done by the OTel Collector's `prometheus` exporter with
 * its defaults (`add_metric_suffixes: true`, no `namespace`, underscore escaping), i.e. the
 * prometheus/otlptranslator `normalizeName` rule, which follows the OTel spec
 * "Prometheus and OpenMetrics compatibility":
 *  1. split the name on every character outside [a-zA-Z0-9:] (so `.`, `-` and runs of `_` become
 *     one `_`); case is kept;
 *  2. unit suffix: the part of the unit before `/` mapped by the translator's table
 *     (ms -> milliseconds, s -> seconds, By -> bytes, KiBy -> kibibytes, % -> percent, 1 -> none;
 *     `{annotations}` -> none), appended unless already one of the name's tokens; a `/x` part
 *     adds `per_<second|minute|...>` the same way;
 *  3. monotonic counters (OTel Counter, cumulative) get `_total` (an existing `total` token moves
 *     to the end); gauges with unit `1` get `_ratio`;
 *  4. an optional namespace is prefixed; a leading digit gets a leading `_`.
 * Histograms are then exposed as `<name>_bucket{le=...}`, `<name>_sum` and `<name>_count`.
 * Labels: attribute names with invalid characters replaced by `_` (our `Service`, `Template`,
 * `Provider`, `Reason` stay as they are), plus `job` = service.name and `instance` = service.instance.id.
 */
export function prometheusMetricName(
  otel: { name: string; unit: string; kind: OtelInstrumentKind | 'gauge' },
  namespace?: string,
): string {
  const tokens = otel.name.split(/[^a-zA-Z0-9:]+/).filter((token) => token.length > 0);
  const [mainUnit = '', perUnit] = otel.unit.split('/', 2);
  const main = unitSuffix(mainUnit, UNIT_SUFFIXES);
  if (main !== '' && !tokens.includes(main)) tokens.push(main);
  if (perUnit !== undefined) {
    const per = unitSuffix(perUnit, PER_UNIT_SUFFIXES);
    if (per !== '' && !tokens.includes(`per_${per}`)) tokens.push('per', per);
  }
  const withType =
    otel.kind === 'counter'
      ? [...tokens.filter((token) => token !== 'total'), 'total']
      : otel.kind === 'gauge' && otel.unit === '1'
        ? [...tokens.filter((token) => token !== 'ratio'), 'ratio']
        : tokens;
  const name = [...(namespace === undefined || namespace === '' ? [] : [namespace]), ...withType].join('_');
  return /^\d/.test(name) ? `_${name}` : name;
}

export interface PrometheusSeries {
  /** The metric family name, e.g. `job_duration_milliseconds` or `jobs_succeeded_total`. */
  name: string;
  /** Series a dashboard queries: the counter itself, or a histogram's `_bucket`/`_sum`/`_count`. */
  series: string[];
}

/** The Prometheus names a catalogue metric has after collector translation (see prometheusMetricName). */
export function prometheusName(metric: MetricName, namespace?: string): PrometheusSeries {
  const otel = otelMetric(metric);
  const name = prometheusMetricName(otel, namespace);
  return {
    name,
    series: otel.kind === 'counter' ? [name] : [`${name}_bucket`, `${name}_sum`, `${name}_count`],
  };
}

// The translator's tables (subset that matters for UCUM units; unknown units pass through).
const UNIT_SUFFIXES: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};
const PER_UNIT_SUFFIXES: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function unitSuffix(unit: string, table: Record<string, string>): string {
  const trimmed = unit.trim();
  if (trimmed === '' || /[{}]/.test(trimmed)) return '';
  const mapped = table[trimmed] ?? trimmed;
  // Invalid characters become `_`; runs collapse; no leading/trailing `_`.
  return mapped.replace(/[^a-zA-Z0-9:]+/g, '_').replace(/^_+|_+$/g, '');
}
