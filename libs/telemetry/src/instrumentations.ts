// Which instrumentations run: auto-instrumentations-node decides, from its standard variables
// OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. We only change its
// default (everything but fs) to the five this platform uses, and configure those five.
import { isBuiltin } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { getNodeAutoInstrumentations } from './lazySdkModules.ts';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { KoaLayerType } from '@opentelemetry/instrumentation-koa';

/**
 * The default when OTEL_NODE_ENABLED_INSTRUMENTATIONS is unset: http (servers and node:http
 * clients), undici (global fetch, e.g. the Twilio provider), aws-sdk, koa, pino (log correlation).
 * Anything else loads only when the operator names it.
 */
export const DEFAULT_ENABLED_INSTRUMENTATIONS = ['http', 'undici', 'aws-sdk', 'koa', 'pino'] as const;

/** Probes that k8s calls every few seconds: tracing them would drown the real traffic. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz']);

const ENABLED_VARIABLE = 'OTEL_NODE_ENABLED_INSTRUMENTATIONS';

export function createInstrumentations(): Instrumentation[] {
  const config = {
    '@opentelemetry/instrumentation-http': {
      ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(pathOf(request.url)),
      // A request made under suppressed tracing (every AWS SDK call, see suppressInternalInstrumentation
      // below; the OTLP exporter's own posts) gets no span anyway, but without this hook the
      // instrumentation still parses its options, builds attributes, starts a non-recording span,
      // wraps its callbacks and listens to its events: measurable CPU per AWS call, for nothing.
      ignoreOutgoingRequestHook: () => isTracingSuppressed(context.active()),
    },
    '@opentelemetry/instrumentation-aws-sdk': {
      // The HTTP client span under every AWS call repeats what the AWS span already says.
      suppressInternalInstrumentation: true,
      // Context travels in message attributes only (see sqsPropagation.ts), never in bodies.
      sqsExtractContextPropagationFromPayload: false,
    },
    // The router layer's span names the route (and gives the server span its http.route); one span per
    // plain middleware (body parser, error handler, auth, rate limit...) per request costs CPU on
    // every request and says only that each ran. KoaLayerType.MIDDLEWARE as its string value: the
    // enum's module (the instrumentation) is only loaded once the instrumentation is enabled.
    '@opentelemetry/instrumentation-koa': { ignoreLayersType: ['middleware' as KoaLayerType] },
    // Log correlation only; log records are not sent to an OTel LoggerProvider (there is none).
    '@opentelemetry/instrumentation-pino': { disableLogSending: true },
  };
  // The library reads the variable from process.env; we supply our default for the duration of
  // the call only, so child processes inherit the operator's environment unchanged.
  const unset = (process.env[ENABLED_VARIABLE] ?? '').trim() === '';
  if (unset) process.env[ENABLED_VARIABLE] = DEFAULT_ENABLED_INSTRUMENTATIONS.join(',');
  try {
    return getNodeAutoInstrumentations(config);
  } finally {
    if (unset) delete process.env[ENABLED_VARIABLE];
  }
}

/**
 * The packages the ESM hook must wrap for these instrumentations (koa and pino by default).
 * Built-ins are left out: the require hook patches them, and hooking them in ESM too would wrap
 * http twice (duplicate client spans). Everything else loads untouched, which keeps start-up fast.
 */
export function esmHookedModules(
  instrumentations: readonly (Instrumentation | Instrumentation[])[],
): string[] {
  const names = new Set<string>();
  for (const instrumentation of instrumentations.flat()) {
    // InstrumentationBase has it (marked experimental); the Instrumentation interface does not.
    const definitions: unknown =
      'getModuleDefinitions' in instrumentation && typeof instrumentation.getModuleDefinitions === 'function'
        ? (instrumentation.getModuleDefinitions as () => unknown).call(instrumentation)
        : [];
    for (const definition of Array.isArray(definitions) ? (definitions as unknown[]) : []) {
      const name = (definition as { name?: unknown }).name;
      if (typeof name === 'string' && !isBuiltin(name)) names.add(name);
    }
  }
  return [...names].sort();
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
