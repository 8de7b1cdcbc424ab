// The OTel SDK environment variables that NodeSDK honoured and a hand-built TracerProvider does
// not read by itself (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
// the sampler, span limits and the SDK's own diagnostic log level. None is set by our manifests;
// they stay available to operators as before.
import { diag, DiagConsoleLogger } from '@opentelemetry/api';
import { diagLogLevelFromString, getNumberFromEnv, getStringFromEnv } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanLimits,
} from '@opentelemetry/sdk-trace';

/** OTEL_LOG_LEVEL: the SDK's diagnostics (export failures, dropped spans) on the console. */
export function enableSdkDiagnosticsFromEnv(): void {
  const level = getStringFromEnv('OTEL_LOG_LEVEL');
  if (level !== undefined)
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(level) });
}

/**
 * OTEL_TRACES_SAMPLER (+ OTEL_TRACES_SAMPLER_ARG for the ratio samplers); undefined means the
 * TracerProvider's default, parent-based always-on.
 */
export function samplerFromEnv(): Sampler | undefined {
  const name = getStringFromEnv('OTEL_TRACES_SAMPLER');
  if (name === undefined) return undefined;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerRatioFromEnv());
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplerRatioFromEnv()) });
    default:
      diag.error(`OTEL_TRACES_SAMPLER "${name}" is not supported; using the default sampler`);
      return undefined;
  }
}

function samplerRatioFromEnv(): number {
  const ratio = getNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
  if (ratio !== undefined && ratio >= 0 && ratio <= 1) return ratio;
  diag.error(`OTEL_TRACES_SAMPLER_ARG must be a number in [0, 1]; sampling everything`);
  return 1;
}

/** OTEL_SPAN_* / OTEL_ATTRIBUTE_* limits; unset ones keep the TracerProvider's defaults. */
export function spanLimitsFromEnv(): SpanLimits {
  const limits: SpanLimits = {};
  const set = (key: keyof SpanLimits, ...names: string[]) => {
    for (const name of names) {
      const value = getNumberFromEnv(name);
      if (value !== undefined) {
        limits[key] = value;
        return;
      }
    }
  };
  set('attributeCountLimit', 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT');
  set(
    'attributeValueLengthLimit',
    'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  );
  set('eventCountLimit', 'OTEL_SPAN_EVENT_COUNT_LIMIT');
  set('linkCountLimit', 'OTEL_SPAN_LINK_COUNT_LIMIT');
  set(
    'attributePerEventCountLimit',
    'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
    'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  );
  set(
    'attributePerLinkCountLimit',
    'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
    'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
  );
  return limits;
}
