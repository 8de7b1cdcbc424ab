// OTel NodeSDK bootstrap. This module must not import pino, koa or any AWS SDK client: it runs
// before the application (via --import) and anything it loads is loaded un-instrumented.
import { register } from 'node:module';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { defaultResource, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Attributes } from '@opentelemetry/api';
import { readTelemetryConfig } from './config.ts';
import { setSqsInjectionByInstrumentation } from './sqsPropagation.ts';
import { createPropagator } from './propagator.ts';
import { ACTIVE, activeTelemetry, type HandleHolder, type TelemetryHandle } from './activeHandle.ts';

export { activeTelemetry, shutdownTelemetry } from './activeHandle.ts';
export type { TelemetryHandle } from './activeHandle.ts';

// Resource attribute names from the (incubating) k8s / service / deployment conventions.
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
const ATTR_K8S_POD_NAME = 'k8s.pod.name';
const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
const ATTR_K8S_NODE_NAME = 'k8s.node.name';
const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

/** Probes that k8s calls every few seconds: tracing them would drown the real traffic. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz']);

/** Modules the ESM hook wraps; everything else loads untouched (faster start-up). */
const ESM_HOOKED_MODULES = ['koa', 'pino'];

export interface StartTelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Overrides the OTLP/HTTP span exporter (tests pass an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
  /** Overrides the OTLP/HTTP metric reader. */
  metricReader?: IMetricReader;
  /** Defaults to process.env; read for endpoints, k8s attributes and the export interval. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the OTel NodeSDK once per process.
 *
 * - Traces: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
 *   (the exporter reads them itself). Otherwise a TracerProvider still runs, with a no-op
 *   processor: spans are created but never leave the process, so log lines keep their
 *   trace_id/span_id and trace context still travels to the next service.
 * - Metrics: OTLP/HTTP on the same condition (…_METRICS_ENDPOINT), cumulative temporality, which
 *   the collector's prometheus exporter needs. Otherwise no MeterProvider (the API meter is a no-op).
 * - Logs: never exported through OTel (stdout is collected by the cluster's log pipeline).
 */
export function startTelemetry(options: StartTelemetryOptions): TelemetryHandle {
  const existing = activeTelemetry();
  if (existing !== undefined) {
    throw new Error('startTelemetry was already called in this process; use activeTelemetry()');
  }
  const env = options.env ?? process.env;
  // NodeSDK falls back to OTEL_*_EXPORTER (default "otlp") for any signal not configured in code.
  // Traces and metrics are always configured below; logs are not, so say "none" unless the
  // operator asked otherwise. (Mutating process.env is deliberate: NodeSDK reads it, not `env`.)
  for (const name of ['OTEL_LOGS_EXPORTER', 'OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER']) {
    process.env[name] ??= 'none';
  }
  const config = readTelemetryConfig({ ...env, OTEL_SERVICE_NAME: options.serviceName });

  const resourceAttributes: Attributes = {
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion ?? config.serviceVersion,
    // One per process: the pod name when there is one (stable in dashboards), else a UUID as the
    // semantic conventions suggest.
    [ATTR_SERVICE_INSTANCE_ID]: config.k8s.podName ?? randomUUID(),
  };
  if (config.k8s.podName !== undefined) resourceAttributes[ATTR_K8S_POD_NAME] = config.k8s.podName;
  if (config.k8s.namespace !== undefined) resourceAttributes[ATTR_K8S_NAMESPACE_NAME] = config.k8s.namespace;
  if (config.k8s.nodeName !== undefined) resourceAttributes[ATTR_K8S_NODE_NAME] = config.k8s.nodeName;
  if (config.environment !== undefined)
    resourceAttributes[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = config.environment;

  const spanExporter =
    options.spanExporter ?? (config.tracesExportEnabled ? new OTLPTraceExporter() : undefined);
  const spanProcessor: SpanProcessor =
    spanExporter === undefined ? new NoopSpanProcessor() : new BatchSpanProcessor({ exporter: spanExporter });
  const metricReader =
    options.metricReader ??
    (config.metricsExportEnabled
      ? new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: config.metricExportIntervalMs,
        })
      : undefined);

  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(pathOf(request.url)),
    }),
    new KoaInstrumentation(),
    new AwsInstrumentation({
      // The HTTP client span under every AWS call repeats what the AWS span already says.
      suppressInternalInstrumentation: true,
      // Context travels in message attributes only (see sqsPropagation.ts), never in bodies.
      sqsExtractContextPropagationFromPayload: false,
    }),
    // Log correlation only; log records are not sent to an OTel LoggerProvider (there is none).
    new PinoInstrumentation({ disableLogSending: true }),
  ];

  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes(resourceAttributes)),
    // Only OTEL_RESOURCE_ATTRIBUTES: the host/process/os detectors cost start-up time and add
    // attributes (command lines) we do not want on every span.
    resourceDetectors: [envDetector],
    spanProcessors: [spanProcessor],
    metricReaders: metricReader === undefined ? [] : [metricReader],
    // W3C trace context + baggage; a message's existing traceparent is never overwritten.
    textMapPropagator: createPropagator(),
    instrumentations,
  });

  // Order matters (verified, see docs): the SDK and instrumentations above are loaded by static
  // imports; registering the ESM hook only now keeps their own modules out of the hook and avoids
  // wrapping http twice. The hook must be in place before the application's first import.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ESM_HOOKED_MODULES },
  });
  sdk.start();
  setSqsInjectionByInstrumentation(true);

  let shutdownPromise: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    exportsTraces: spanExporter !== undefined,
    exportsMetrics: metricReader !== undefined,
    async forceFlush() {
      await Promise.all([spanProcessor.forceFlush(), metricReader?.forceFlush()]);
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        setSqsInjectionByInstrumentation(false);
        await sdk.shutdown();
        delete (globalThis as HandleHolder)[ACTIVE];
      })();
      return shutdownPromise;
    },
  };
  (globalThis as HandleHolder)[ACTIVE] = handle;
  return handle;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
