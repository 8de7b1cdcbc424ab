import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { censorKey } from './redaction.ts';
import { looksLikeError, serializeError, toLoggable } from './toLoggable.ts';
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

type LogMethod = (this: PinoLogger, ...args: unknown[]) => void;

/**
 * pino's `hooks.logMethod`: every call's arguments are made plain and redacted (toLoggable with
 * censorKey) before pino and its mixin merge see them, and a failure inside pino itself becomes a short
 * `log line dropped` line instead of an exception. A log call must never be what kills a process:
 * it runs inside error handlers, where a throw escapes as an uncaught exception.
 */
function safeLogMethod(this: PinoLogger, args: unknown[], method: LogMethod): void {
  try {
    const [first, ...rest] = args;
    if (looksLikeError(first)) {
      // pino's `logger.error(err)` form: the message defaults to the error's own.
      const serialized = serializeError(first, censorKey);
      const message =
        typeof rest[0] === 'string'
          ? rest
          : [
              typeof serialized === 'object' &&
              serialized !== null &&
              !Array.isArray(serialized) &&
              typeof serialized.message === 'string'
                ? serialized.message
                : 'error',
              ...rest,
            ];
      method.apply(this, [{ err: serialized }, ...message]);
      return;
    }
    if (typeof first === 'object' && first !== null) {
      method.apply(this, [toLoggable(first, censorKey), ...rest]);
      return;
    }
    method.apply(this, args);
  } catch (error) {
    try {
      const msg = args.find((arg): arg is string => typeof arg === 'string');
      method.call(
        this,
        { logFailure: serializeError(error, censorKey) },
        `log line dropped: ${msg ?? 'unserializable arguments'}`,
      );
    } catch {
      // Nothing left to try: dropping one line is better than throwing out of a log call.
    }
  }
}

/**
 * pino JSON logger: `service`, `hostname` (the pod name on k8s), `pid`, ISO time, trace
 * correlation, secrets replaced by `[REDACTED]` and phone numbers masked (see maskPhone), at any
 * depth, in the logged object, errors and child bindings alike (redaction.ts). It never throws
 * (safeLogMethod, toLoggable).
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, hostname: hostname(), pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceMixin,
      hooks: { logMethod: safeLogMethod },
      formatters: {
        level: (label) => ({ level: label }),
        // The base fields; pino applies this formatter to the root logger only (see child below).
        bindings: (bindings) => toLoggable(bindings, censorKey) as Record<string, unknown>,
      },
      // Already plain after logMethod (so no second pass over it); an Error that reaches here some
      // other way (a mixin) is made safe as well.
      serializers: {
        err: (value: unknown) => (value instanceof Error ? serializeError(value, censorKey) : value),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // `logger.child(bindings)` bypasses logMethod, and pino resets the bindings formatter for
  // children: their bindings are made plain and redacted here. An own property of the root, so
  // every descendant (created with Object.create from its parent) inherits it.
  type ChildMethod = (this: Logger, bindings: Record<string, unknown>, childOptions?: object) => Logger;
  // Read unbound on purpose: it is called with each descendant as `this`, as pino's own is.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const pinoChild = logger.child as unknown as ChildMethod;
  const child: ChildMethod = function (bindings, childOptions) {
    return pinoChild.call(this, toLoggable(bindings, censorKey) as Record<string, unknown>, childOptions);
  };
  (logger as unknown as { child: ChildMethod }).child = child;
  return logger;
}
