// OTel bootstrap: the tracer and meter providers built directly, not through NodeSDK, whose
// import alone loads every exporter (gRPC, protobuf, logs SDK) and cost ~1 s of start-up here.
// This module must not import pino, koa or any AWS SDK client: it runs before the application
// (via --import) and anything it loads is loaded un-instrumented.
import { register } from 'node:module';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { readTelemetryConfig } from './config.ts';
import { setSqsInjectionByInstrumentation } from './sqsPropagation.ts';
import { createPropagator } from './propagator.ts';
import { enableSdkDiagnosticsFromEnv, samplerFromEnv, spanLimitsFromEnv } from './sdkEnv.ts';
import { ACTIVE, activeTelemetry, type HandleHolder, type TelemetryHandle } from './activeHandle.ts';

export { activeTelemetry, shutdownTelemetry } from './activeHandle.ts';
export type { TelemetryHandle } from './activeHandle.ts';
export { loadOtlpExporters } from './otlpExporters.ts';
export type { OtlpExporters } from './otlpExporters.ts';

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
  /**
   * Where spans go. Tests pass an InMemorySpanExporter; register.ts passes the OTLP/HTTP exporter
   * from loadOtlpExporters when an endpoint is set. Required when the environment sets a traces
   * endpoint (the exporter module is loaded asynchronously, so this function cannot load it).
   */
  spanExporter?: SpanExporter;
  /** As spanExporter, for metrics (the OTLP/HTTP periodic reader). */
  metricReader?: IMetricReader;
  /** Defaults to process.env; read for endpoints, k8s attributes and the export interval. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts tracing (and metrics when exported) once per process.
 *
 * - Traces: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
 *   (the exporter reads them itself). Otherwise a TracerProvider still runs, with a no-op
 *   processor: spans are created but never leave the process, so log lines keep their
 *   trace_id/span_id and trace context still travels to the next service.
 * - Metrics: OTLP/HTTP on the same condition (…_METRICS_ENDPOINT), cumulative temporality, which
 *   the collector's prometheus exporter needs. Otherwise no MeterProvider (the API meter is a no-op).
 * - Logs: never exported through OTel (stdout is collected by the cluster's log pipeline).
 *
 * With an endpoint set, pass the exporters: `startTelemetry({ serviceName, ...(await loadOtlpExporters(config)) })`.
 */
export function startTelemetry(options: StartTelemetryOptions): TelemetryHandle {
  const existing = activeTelemetry();
  if (existing !== undefined) {
    throw new Error('startTelemetry was already called in this process; use activeTelemetry()');
  }
  const env = options.env ?? process.env;
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return startDisabled();
  const config = readTelemetryConfig({ ...env, OTEL_SERVICE_NAME: options.serviceName });
  const { spanExporter, metricReader } = options;
  if (
    (config.tracesExportEnabled && spanExporter === undefined) ||
    (config.metricsExportEnabled && metricReader === undefined)
  ) {
    throw new Error(
      'an OTLP endpoint is set but its exporter was not passed: call startTelemetry({ ...options, ...(await loadOtlpExporters(config)) })',
    );
  }
  enableSdkDiagnosticsFromEnv();

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
  // Only OTEL_RESOURCE_ATTRIBUTES is detected, and it wins over ours (merged last): the
  // host/process/os detectors cost start-up time and add attributes (command lines) we do not
  // want on every span.
  const resource = defaultResource()
    .merge(resourceFromAttributes(resourceAttributes))
    .merge(detectResources({ detectors: [envDetector] }));

  const spanProcessor: SpanProcessor =
    spanExporter === undefined ? new NoopSpanProcessor() : new BatchSpanProcessor({ exporter: spanExporter });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [spanProcessor],
    sampler: samplerFromEnv(),
    spanLimits: spanLimitsFromEnv(),
  });
  const meterProvider =
    metricReader === undefined ? undefined : new MeterProvider({ resource, readers: [metricReader] });

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

  // Order matters (verified, see docs): the SDK and instrumentations above are loaded by static
  // imports; registering the ESM hook only now keeps their own modules out of the hook and avoids
  // wrapping http twice. The hook must be in place before the application's first import.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ESM_HOOKED_MODULES },
  });
  // AsyncLocalStorage carries the active span across awaits and callbacks.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // W3C trace context + baggage; a message's existing traceparent is never overwritten.
  propagation.setGlobalPropagator(createPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  if (meterProvider !== undefined) metrics.setGlobalMeterProvider(meterProvider);
  // After the globals: the instrumentations take the global (proxy) providers.
  registerInstrumentations({ instrumentations });
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
        await Promise.all([tracerProvider.shutdown(), meterProvider?.shutdown()]);
        delete (globalThis as HandleHolder)[ACTIVE];
      })();
      return shutdownPromise;
    },
  };
  (globalThis as HandleHolder)[ACTIVE] = handle;
  return handle;
}

/**
 * OTEL_SDK_DISABLED=true (OTel standard): no providers, no instrumentation, no ESM hook. The API's
 * no-op tracer makes no trace context, so our own injection (not the instrumentation's) stays on.
 */
function startDisabled(): TelemetryHandle {
  const handle: TelemetryHandle = {
    exportsTraces: false,
    exportsMetrics: false,
    forceFlush: () => Promise.resolve(),
    shutdown() {
      delete (globalThis as HandleHolder)[ACTIVE];
      return Promise.resolve();
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
