// The local observability stack and the production collector config, parsed and cross-checked:
// the pieces are wired to each other, and every metric a dashboard queries is one the services
// emit (libs/telemetry's METRIC_CATALOGUE, named as the collector's Prometheus exporter names it).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import {
  METRIC_CATALOGUE,
  METRIC_NAMES,
  otelMetric,
  prometheusName,
  type MetricName,
} from '@platform/telemetry';
import { REPO_ROOT, SERVICES, configMapNamed, renderOverlay } from './lib/manifests.ts';
import { readsOf, readsOfVariableQuery, type PromqlReads } from './lib/promql.ts';

const OBSERVABILITY = path.join(REPO_ROOT, 'observability');
const DASHBOARDS = path.join(OBSERVABILITY, 'grafana', 'dashboards');

type Yaml = Record<string, unknown>;
function readYaml(file: string): Yaml {
  return parse(readFileSync(path.join(OBSERVABILITY, file), 'utf8')) as Yaml;
}

interface ComposeService {
  image?: string;
  ports?: string[];
  volumes?: string[];
  command?: string[];
}
interface CollectorConfig {
  receivers?: Record<string, { protocols?: Record<string, { endpoint?: string }> } | null>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, Record<string, unknown> | null>;
  extensions?: Record<string, unknown>;
  service?: {
    extensions?: string[];
    pipelines?: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>;
  };
}
interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
}
interface GrafanaTarget {
  datasource?: { type?: string; uid?: string };
  expr?: string;
  refId?: string;
  queryType?: string;
  service?: string;
}
interface GrafanaPanel {
  id?: number;
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}
interface GrafanaDashboard {
  uid?: string;
  title?: string;
  panels?: GrafanaPanel[];
  templating?: {
    list?: {
      name: string;
      datasource?: { type?: string; uid?: string };
      query?: string | { query?: string };
    }[];
  };
}

const compose = readYaml('docker-compose.yml') as { services?: Record<string, ComposeService> };
const composeServices = compose.services ?? {};
const localCollector = readYaml('otel-collector/config.yaml') as CollectorConfig;
const productionCollector = readYaml('otel-collector/config.production.yaml') as CollectorConfig;
const prometheus = readYaml('prometheus/prometheus.yml') as {
  scrape_configs?: { job_name: string; honor_labels?: boolean; static_configs?: { targets: string[] }[] }[];
};
const datasources = (readYaml('grafana/provisioning/datasources/datasources.yaml').datasources ??
  []) as Datasource[];
const dashboardFiles = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));
const dashboards = dashboardFiles.map(
  (file) =>
    [file, JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as GrafanaDashboard] as const,
);

/** Labels every series has besides the metric's own dimensions. */
const STANDARD_LABELS = ['job', 'instance', 'le'];

function allPanels(panels: GrafanaPanel[] = []): GrafanaPanel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

/** Every Prometheus query of a dashboard (panel targets and variable queries), with where it is. */
function promQueries(dashboard: GrafanaDashboard): { where: string; reads: PromqlReads; expr: string }[] {
  const queries: { where: string; reads: PromqlReads; expr: string }[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      const type = target.datasource?.type ?? panel.datasource?.type;
      if (type === 'prometheus' && target.expr !== undefined) {
        queries.push({
          where: `${panel.title}/${target.refId}`,
          reads: readsOf(target.expr),
          expr: target.expr,
        });
      }
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (variable.datasource?.type === 'prometheus' && query !== undefined) {
      queries.push({ where: `variable ${variable.name}`, reads: readsOfVariableQuery(query), expr: query });
    }
  }
  return queries;
}

/** Prometheus series name -> catalogue metric, with the exporter's naming (no namespace configured). */
function catalogueSeries(namespace?: string): Map<string, MetricName> {
  const series = new Map<string, MetricName>();
  for (const metric of METRIC_NAMES) {
    for (const name of prometheusName(metric, namespace).series) series.set(name, metric);
  }
  return series;
}

function imageTag(image: string | undefined): string {
  return /:([^/:@]+)(@sha256:[a-f0-9]{64})?$/.exec(image ?? '')?.[1] ?? '';
}

function pipelinesReferenceDefinedComponents(
  t: { true(value: boolean, message?: string): void },
  config: CollectorConfig,
): void {
  const pipelines = config.service?.pipelines ?? {};
  t.true(Object.keys(pipelines).length > 0, 'has pipelines');
  for (const [name, pipeline] of Object.entries(pipelines)) {
    for (const receiver of pipeline.receivers ?? [])
      t.true(receiver in (config.receivers ?? {}), `${name}: receiver ${receiver}`);
    for (const processor of pipeline.processors ?? [])
      t.true(processor in (config.processors ?? {}), `${name}: processor ${processor}`);
    for (const exporter of pipeline.exporters ?? [])
      t.true(exporter in (config.exporters ?? {}), `${name}: exporter ${exporter}`);
    // memory_limiter must run first to protect the collector, batch late (collector guidance).
    if (pipeline.processors?.includes('memory_limiter'))
      t.true(pipeline.processors[0] === 'memory_limiter', `${name}: memory_limiter first`);
  }
  for (const extension of config.service?.extensions ?? [])
    t.true(extension in (config.extensions ?? {}), `extension ${extension}`);
}

test('compose: collector, Jaeger, Prometheus and Grafana on pinned images, ports on loopback, mounted files exist', (t) => {
  t.deepEqual(Object.keys(composeServices).sort(), ['grafana', 'jaeger', 'otel-collector', 'prometheus']);
  for (const [name, service] of Object.entries(composeServices)) {
    const tag = imageTag(service.image);
    t.regex(tag, /^v?\d+\.\d+\.\d+$/, `${name}: image ${service.image} pinned to a release`);
    for (const port of service.ports ?? [])
      t.true(port.startsWith('127.0.0.1:'), `${name}: ${port} on loopback only`);
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0] ?? '';
      if (source.startsWith('.'))
        t.true(existsSync(path.join(OBSERVABILITY, source)), `${name}: ${source} exists`);
    }
  }
  const published = (composeServices['otel-collector']?.ports ?? []).map((port) => port.split(':').at(-1));
  t.true(published.includes('4317') && published.includes('4318'), 'OTLP gRPC and HTTP published');
});

test('local collector: OTLP in on 4317/4318, traces to Jaeger over OTLP, metrics to a Prometheus exporter', (t) => {
  pipelinesReferenceDefinedComponents(t, localCollector);
  const protocols = localCollector.receivers?.otlp?.protocols ?? {};
  t.is(protocols.grpc?.endpoint, '0.0.0.0:4317');
  t.is(protocols.http?.endpoint, '0.0.0.0:4318');
  const pipelines = localCollector.service?.pipelines ?? {};
  const traceExporters = pipelines.traces?.exporters ?? [];
  const jaeger = traceExporters
    .map((name) => localCollector.exporters?.[name])
    .find((e) => typeof e?.endpoint === 'string');
  t.is(jaeger?.endpoint, 'jaeger:4317', 'spans go to the jaeger service over OTLP/gRPC');
  t.true('jaeger' in composeServices);
  t.true((pipelines.metrics?.exporters ?? []).includes('prometheus'));
});

test('prometheus scrapes the collector exporter, keeping the services as the job label', (t) => {
  const exporterPort = String(localCollector.exporters?.prometheus?.endpoint).split(':').at(-1);
  const job = prometheus.scrape_configs?.find((config) =>
    config.static_configs?.some((c) => c.targets.includes(`otel-collector:${exporterPort}`)),
  );
  t.truthy(job, `a scrape job targets otel-collector:${exporterPort}`);
  t.true(job?.honor_labels);
  t.true('otel-collector' in composeServices);
});

test('the exporter names metrics the way prometheusName() in libs/telemetry assumes', (t) => {
  const exporter = localCollector.exporters?.prometheus ?? {};
  t.not(exporter.add_metric_suffixes, false, 'unit and _total suffixes');
  t.is(exporter.namespace, undefined, 'no namespace prefix');
});

test('grafana: Prometheus and Jaeger datasources with fixed uids pointing at the compose services', (t) => {
  const byUid = new Map(datasources.map((source) => [source.uid, source]));
  t.is(byUid.size, datasources.length, 'unique uids');
  t.like(byUid.get('prometheus'), { type: 'prometheus', url: 'http://prometheus:9090' });
  t.like(byUid.get('jaeger'), { type: 'jaeger', url: 'http://jaeger:16686' });
  const provider = (
    readYaml('grafana/provisioning/dashboards/dashboards.yaml').providers as { options: { path: string } }[]
  )[0];
  const mounted = (composeServices.grafana?.volumes ?? []).some((volume) =>
    volume.endsWith(`:${provider?.options.path}:ro`),
  );
  t.true(mounted, 'the dashboards folder is mounted where the provider reads it');
});

test('dashboards: valid JSON, unique uids, every datasource reference is a provisioned one', (t) => {
  t.true(dashboards.length >= 2);
  const uids = dashboards.map(([, dashboard]) => dashboard.uid);
  t.is(new Set(uids).size, uids.length);
  const provisioned = new Map(datasources.map((source) => [source.uid, source.type]));
  for (const [file, dashboard] of dashboards) {
    const references = [
      ...allPanels(dashboard.panels).flatMap((panel) => [
        panel.datasource,
        ...(panel.targets ?? []).map((target) => target.datasource),
      ]),
      ...(dashboard.templating?.list ?? []).map((variable) => variable.datasource),
    ].filter((reference) => reference !== undefined);
    t.true(references.length > 0, file);
    for (const reference of references) {
      t.is(
        provisioned.get(reference.uid ?? ''),
        reference.type,
        `${file}: datasource ${JSON.stringify(reference)}`,
      );
    }
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        if (target.datasource?.type === 'jaeger' && target.service !== undefined) {
          t.true(
            (SERVICES as readonly string[]).includes(target.service),
            `${file}: Jaeger service ${target.service}`,
          );
        }
      }
    }
  }
});

test('every query parses, and every metric and label it reads is one the services emit (catalogue)', (t) => {
  const series = catalogueSeries();
  let checked = 0;
  for (const [file, dashboard] of dashboards) {
    for (const { where, reads, expr } of promQueries(dashboard)) {
      checked += 1;
      t.deepEqual(reads.errors, [], `${file} ${where}: ${expr}`);
      t.true(reads.metrics.length > 0, `${file} ${where}: reads a metric`);
      const unknown = reads.metrics.filter((metric) => !series.has(metric));
      t.deepEqual(unknown, [], `${file} ${where}: not in the metric catalogue`);
      const dimensions = new Set([
        ...STANDARD_LABELS,
        ...reads.metrics.flatMap((metric) => {
          const name = series.get(metric);
          return name === undefined ? [] : [...METRIC_CATALOGUE[name].dimensions];
        }),
      ]);
      t.deepEqual(
        reads.labels.filter((label) => !dimensions.has(label)),
        [],
        `${file} ${where}: labels the metrics do not have`,
      );
    }
  }
  t.true(checked >= 20, `${checked} queries checked`);
});

test('the dashboards cover the required views, and every catalogue metric is on one', (t) => {
  const series = catalogueSeries();
  const queried = (file: string): Set<MetricName> =>
    new Set(
      promQueries(dashboards.find(([name]) => name === file)?.[1] ?? {}).flatMap(({ reads }) =>
        reads.metrics.map((metric) => series.get(metric)).filter((name) => name !== undefined),
      ),
    );
  const imageJobs = queried('image-jobs.json');
  for (const metric of [
    'JobsSucceeded',
    'JobDurationMs',
    'JobsFailed',
    'JobsRetried',
    'JobsDeadLettered',
    'QueueWaitMs',
    'LeaseLost',
  ] as const) {
    t.true(imageJobs.has(metric), `image-jobs.json shows ${metric}`);
  }
  const invitations = queried('invitations.json');
  for (const metric of [
    'InvitationsCreated',
    'InvitationsRejected',
    'InvitationsSent',
    'InvitationsDelivered',
    'InvitationsFailed',
    'InvitationsAccepted',
    'ProviderLatencyMs',
  ] as const) {
    t.true(invitations.has(metric), `invitations.json shows ${metric}`);
  }
  const rejectedByReason = promQueries(
    dashboards.find(([name]) => name === 'invitations.json')?.[1] ?? {},
  ).some(
    ({ reads }) =>
      reads.metrics.includes(prometheusName('InvitationsRejected').name) && reads.labels.includes('Reason'),
  );
  t.true(rejectedByReason, 'rejections broken down by Reason');
  const everywhere = new Set([...imageJobs, ...invitations]);
  t.deepEqual(
    METRIC_NAMES.filter((metric) => !everywhere.has(metric)),
    [],
    'catalogue metrics on no dashboard',
  );
});

test('production collector: OTLP in, metrics as EMF to CloudWatch in their own namespace, traces to X-Ray', async (t) => {
  pipelinesReferenceDefinedComponents(t, productionCollector);
  const pipelines = productionCollector.service?.pipelines ?? {};
  const metricExporters = pipelines.metrics?.exporters ?? [];
  const traceExporters = pipelines.traces?.exporters ?? [];
  t.true(metricExporters.includes('awsemf'));
  t.true(traceExporters.some((name) => name === 'awsxray' || name.startsWith('otlp')));
  const emf = productionCollector.exporters?.awsemf ?? {};
  t.is(emf.region, '${env:AWS_REGION}');
  t.is(emf.dimension_rollup_option, 'NoDimensionRollup');
  // Never the namespace the services' own EMF (stdout) writes, or every metric would count twice.
  const prod = await renderOverlay('prod');
  const servicesNamespace = configMapNamed(prod, 'platform-config').METRICS_NAMESPACE;
  t.truthy(servicesNamespace);
  t.truthy(emf.namespace);
  t.not(emf.namespace, servicesNamespace);
  // The dimension sets it declares are the catalogue's.
  const catalogueSets = new Set(METRIC_NAMES.map((metric) => METRIC_CATALOGUE[metric].dimensions.join(',')));
  const declarations = (emf.metric_declarations ?? []) as {
    dimensions: string[][];
    metric_name_selectors: string[];
  }[];
  const declared = new Set(
    declarations.flatMap((declaration) => declaration.dimensions.map((set) => set.join(','))),
  );
  t.deepEqual(
    [...catalogueSets].filter((set) => !declared.has(set)),
    [],
    'every catalogue dimension set declared',
  );
  // Every OTel instrument is selected by some declaration.
  const selectors = declarations.flatMap((declaration) =>
    declaration.metric_name_selectors.map((s) => new RegExp(s)),
  );
  const unselected = METRIC_NAMES.filter(
    (metric) => !selectors.some((selector) => selector.test(otelMetric(metric).name)),
  );
  t.deepEqual(unselected, []);
  const protocols = productionCollector.receivers?.otlp?.protocols ?? {};
  t.is(protocols.http?.endpoint, '0.0.0.0:4318', 'the endpoint the overlays send to');
});

test('docs/observability.md names every catalogue metric with its Prometheus name', (t) => {
  const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'observability.md'), 'utf8');
  for (const metric of METRIC_NAMES) {
    const row = docs.split('\n').find((line) => line.startsWith(`| \`${metric}\` |`));
    t.truthy(row, `${metric} has a row`);
    t.true(row?.includes(`\`${prometheusName(metric).name}\``), `${metric}: ${prometheusName(metric).name}`);
  }
});
