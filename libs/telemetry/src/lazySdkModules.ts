// NodeSDK and auto-instrumentations-node, loaded so that start-up pays only for what runs.
//
// Their CommonJS builds `require` every package they might use, at load time: ~40
// instrumentations, 5 cloud resource detectors, trace/metric/log exporters for three OTLP
// protocols, zipkin, prometheus, b3 and the declarative-configuration parser; together about a
// third of the CPU time of loading the SDK (measured: bench/serviceStartup.ts, docs in README).
// Which of them run is decided later, from the environment. So while these two packages load,
// each such `require` returns a stand-in that loads the real package on first use: an exporter
// when the SDK constructs it, an instrumentation when getNodeAutoInstrumentations enables it.
// Nothing else is affected; a package that is used behaves exactly as if required directly.
import Module, { createRequire } from 'node:module';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as AutoInstrumentations from '@opentelemetry/auto-instrumentations-node';

type Exports = Record<string | symbol, unknown>;
type LoadFunction = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: LoadFunction };

/** Optional packages the two SDK packages require up front. */
const DEFERRABLE =
  /^@opentelemetry\/(?:instrumentation-[\w.-]+|resource-detector-[\w-]+|exporter-[\w-]+|otlp-grpc-exporter-base|propagator-b3|configuration)$/;
/** The requiring files whose requires are deferred (their own dist folders only). */
const DEFERRING_PARENT = /[\\/]@opentelemetry[\\/](?:sdk-node|auto-instrumentations-node)[\\/]dist[\\/]/;

/** A module namespace that loads `load()` on first access. */
function deferredExports(load: () => Exports): Exports {
  const lazyClasses = new Map<string, unknown>();
  return new Proxy(
    {},
    {
      get(_target, name) {
        // auto-instrumentations-node reads every instrumentation class into a table at load time
        // and constructs only the enabled ones: hand out a constructor that loads on `new`.
        if (typeof name === 'string' && name.endsWith('Instrumentation')) {
          if (!lazyClasses.has(name)) {
            lazyClasses.set(name, function DeferredInstrumentation(...args: unknown[]) {
              const Real = load()[name] as new (...a: unknown[]) => object;
              return new Real(...args);
            });
          }
          return lazyClasses.get(name);
        }
        return load()[name];
      },
      has: (_target, name) => name in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, name) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), name);
        return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
      },
    },
  );
}

function requireDeferringOptionalPackages<T>(specifier: string): T {
  const originalLoad = moduleInternals._load;
  moduleInternals._load = function (this: unknown, request, parent, isMain) {
    if (DEFERRABLE.test(request) && DEFERRING_PARENT.test(parent?.filename ?? '')) {
      let loaded: Exports | undefined;
      return deferredExports(() => (loaded ??= originalLoad.call(this, request, parent, isMain) as Exports));
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  try {
    return createRequire(import.meta.url)(specifier) as T;
  } finally {
    moduleInternals._load = originalLoad;
  }
}

export const { NodeSDK } = requireDeferringOptionalPackages<typeof SdkNode>('@opentelemetry/sdk-node');
export const { getNodeAutoInstrumentations } = requireDeferringOptionalPackages<typeof AutoInstrumentations>(
  '@opentelemetry/auto-instrumentations-node',
);
