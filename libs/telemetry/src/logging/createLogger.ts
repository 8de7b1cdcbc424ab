import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { PHONE_KEYS, SECRET_KEYS, censor, redactionPaths } from './redaction.ts';
import type { LogLevel } from '../config.ts';

/** The logger every service and lib takes as a dependency. */
export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** Written as `service` on every line. */
  service: string;
  level?: LogLevel;
  /** Defaults to stdout (fd 1). Tests pass a stream that collects lines. */
  destination?: DestinationStream;
  /** Extra fields on every line (e.g. { component: 'lease' }). */
  base?: Record<string, unknown>;
}

/**
 * Adds trace_id/span_id/trace_flags of the active span, with the same keys and format as
 * @opentelemetry/instrumentation-pino. With the SDK registered both produce the same values
 * (pino merges the two objects, so a key never appears twice); without the instrumentation's
 * ESM hook (tests, scripts) this is what keeps logs correlated.
 */
function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags.toString(16).padStart(2, '0'),
  };
}

/**
 * pino JSON logger: `service`, `hostname` (the pod name on k8s), `pid`, ISO time, trace
 * correlation, secrets replaced by `[REDACTED]` and phone numbers masked (see maskPhone), at the
 * top level and up to three levels deep.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, hostname: hostname(), pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceMixin,
      redact: { paths: redactionPaths([...SECRET_KEYS, ...PHONE_KEYS]), censor },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
