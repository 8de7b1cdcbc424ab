// OTel bootstrap: NodeSDK (@opentelemetry/sdk-node) with the instrumentations chosen by
// @opentelemetry/auto-instrumentations-node, so the standard OTEL_* variables mean what operators
// expect. We only supply defaults where the SDK's own would surprise here (see exporterDefaults.ts)
// and the pieces the SDK cannot know (our propagator rule, the instrumentations' settings).
// This module must not import pino, koa or any AWS SDK client: it runs before the application
// (via --import) and anything it loads is loaded un-instrumented.
import { randomUUID } from 'node:crypto';
import { metrics, trace, type Attributes } from '@opentelemetry/api';
import { getBooleanFromEnv } from '@opentelemetry/core';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { NodeSDK } from './lazySdkModules.ts';
import { envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { readTelemetryConfig } from './config.ts';
import { setSqsInjectionByInstrumentation } from './sqsPropagation.ts';
import { createPropagator } from './propagator.ts';
import { createInstrumentations, esmHookedModules } from './instrumentations.ts';
import { registerEsmHook } from './esmHook.ts';
import { metricsExportFromEnv, tracesExportFromEnv } from './exporterDefaults.ts';
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

export interface StartTelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /**
   * Where spans go, instead of what OTEL_TRACES_EXPORTER / the OTLP endpoint say. Tests pass an
   * InMemorySpanExporter.
   */
  spanExporter?: SpanExporter;
  /** As spanExporter, for metrics (instead of OTEL_METRICS_EXPORTER / the OTLP endpoint). */
  metricReader?: IMetricReader;
  /**
   * Our own variables (SERVICE_VERSION, K8S_*, ENV_NAME); defaults to process.env. The standard
   * OTEL_* variables are read by the SDK from process.env, always.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the OTel SDK once per process. What each signal does:
 *
 * - Traces: OTEL_TRACES_EXPORTER when set (otlp, console, zipkin; protocol, headers, batch limits
 *   from the usual OTEL_EXPORTER_OTLP_* / OTEL_BSP_* variables). When it is unset, OTLP only if an
 *   endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or ..._TRACES_ENDPOINT). Without an exporter (or
 *   with `none`) a TracerProvider still runs with a no-op processor: log lines keep their
 *   trace_id/span_id and trace context still travels to the next service.
 * - Metrics: likewise with OTEL_METRICS_EXPORTER (otlp, prometheus, console) and
 *   ..._METRICS_ENDPOINT; nothing when neither is set (the API meter is then a no-op).
 * - Logs: never exported through OTel (stdout is collected by the cluster's log pipeline).
 * - OTEL_SDK_DISABLED=true: nothing starts, not even the ESM hook.
 */
export function startTelemetry(options: StartTelemetryOptions): TelemetryHandle {
  if (activeTelemetry() !== undefined) {
    throw new Error('startTelemetry was already called in this process; use activeTelemetry()');
  }
  // The SDK reads this itself (and then starts nothing); we read it too, to skip the ESM hook and
  // keep our own SQS injection on.
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return startDisabled();
  const config = readTelemetryConfig({
    ...(options.env ?? process.env),
    OTEL_SERVICE_NAME: options.serviceName,
  });

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

  const sdkConfig: Partial<NodeSDKConfiguration> = {
    resource: resourceFromAttributes(resourceAttributes),
    // W3C trace context + baggage; a message's existing traceparent is never overwritten.
    textMapPropagator: createPropagator(),
    instrumentations: createInstrumentations(),
    // Logs go to stdout only; an empty list also keeps the SDK from building an OTLP log exporter.
    logRecordProcessors: [],
  };
  // OTEL_NODE_RESOURCE_DETECTORS is the SDK's; unset, only OTEL_RESOURCE_ATTRIBUTES is detected
  // (merged last, so it wins over ours): the host/process/os detectors cost start-up time and put
  // command lines on every span.
  if (process.env['OTEL_NODE_RESOURCE_DETECTORS'] === undefined) sdkConfig.resourceDetectors = [envDetector];

  let spanProcessor: BatchSpanProcessor | NoopSpanProcessor | undefined;
  if (options.spanExporter !== undefined) {
    spanProcessor = new BatchSpanProcessor({ exporter: options.spanExporter });
  } else if (tracesExportFromEnv() === 'none') {
    spanProcessor = new NoopSpanProcessor();
  }
  // Otherwise the SDK builds the exporters OTEL_TRACES_EXPORTER (default otlp) names.
  if (spanProcessor !== undefined) sdkConfig.spanProcessors = [spanProcessor];

  if (options.metricReader !== undefined) sdkConfig.metricReaders = [options.metricReader];
  else if (metricsExportFromEnv() === 'none') sdkConfig.metricReaders = [];

  const sdk = new NodeSDK(sdkConfig);
  // Order matters (verified, see docs): the SDK and the instrumentations are loaded by the static
  // imports above; registering the ESM hook only now keeps their own modules out of the hook and
  // avoids wrapping http twice. It must be in place before the application's first import.
  const hooked = esmHookedModules(sdkConfig.instrumentations ?? []);
  if (hooked.length > 0) {
    registerEsmHook(hooked);
  }
  sdk.start();
  setSqsInjectionByInstrumentation(
    (sdkConfig.instrumentations ?? []).flat().some((i) => i.instrumentationName.endsWith('aws-sdk')),
  );

  let shutdownPromise: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    exportsTraces: spanProcessor === undefined || options.spanExporter !== undefined,
    exportsMetrics: sdkConfig.metricReaders === undefined || sdkConfig.metricReaders.length > 0,
    async forceFlush() {
      await Promise.all([forceFlushOf(trace.getTracerProvider()), forceFlushOf(metrics.getMeterProvider())]);
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

/** The SDK's providers have forceFlush; the API's no-op and proxy ones (may) not. */
async function forceFlushOf(provider: object): Promise<void> {
  const delegate: unknown =
    'getDelegate' in provider && typeof provider.getDelegate === 'function'
      ? (provider.getDelegate as () => unknown).call(provider)
      : provider;
  if (typeof delegate === 'object' && delegate !== null && 'forceFlush' in delegate) {
    const flush = delegate.forceFlush;
    if (typeof flush === 'function') await (flush as () => Promise<void>).call(delegate);
  }
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
