// The one default we set differently from the SDK: NodeSDK exports over OTLP to localhost when
// OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER are unset; we export only when an OTLP endpoint is
// configured, so a developer's laptop or a test never sends (or retries) to a collector that is
// not there. When the variable is set, the SDK alone decides what it means.
import { getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';

/** 'sdk': let NodeSDK build the exporters from the environment; 'none': export nothing. */
export type ExportDecision = 'sdk' | 'none';

function decide(exporterVariable: string, signalEndpointVariable: string): ExportDecision {
  const exporters = getStringListFromEnv(exporterVariable);
  if (exporters !== undefined && exporters.length > 0) {
    // NodeSDK itself treats a leading `none` as "no exporter" (and builds no provider at all).
    return exporters[0] === 'none' ? 'none' : 'sdk';
  }
  const endpoint =
    getStringFromEnv(signalEndpointVariable) ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  return endpoint === undefined ? 'none' : 'sdk';
}

export function tracesExportFromEnv(): ExportDecision {
  return decide('OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
}

export function metricsExportFromEnv(): ExportDecision {
  return decide('OTEL_METRICS_EXPORTER', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
}
