import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { RenderCancelled, RenderThreadFailed } from '../errors.ts';
import { createEventLoopLagMonitor, type EventLoopLagMonitor, type LagMetrics } from './eventLoopLag.ts';
import type { RenderedImage } from './renderImage.ts';
import type { RenderThreadData } from './renderThread.ts';
import type { RenderSpec } from './spec.ts';
import { registeredTemplateModules } from './templates/index.ts';

export interface RenderPoolDeps {
  metrics: LagMetrics;
}

export interface RenderPoolOptions {
  /** Render threads (RENDER_THREADS); renders beyond this many wait in the pool's queue. */
  threads: number;
  /** Event-loop lag sampling interval while rendering, ms. Default 1000. */
  lagIntervalMs?: number;
}

export interface RenderResult extends RenderedImage {
  /** Wall time from submission to result, including any wait for a free thread. */
  renderMs: number;
}

export interface RenderPool {
  /**
   * Renders in a thread. When `signal` aborts, a queued render is dropped and a running one is
   * stopped by terminating its thread (JavaScript drawing cannot be interrupted any other way);
   * the pool starts a fresh thread in its place. Rejects with RenderCancelled then.
   */
  render(spec: RenderSpec, options?: { signal?: AbortSignal }): Promise<RenderResult>;
  readonly threads: number;
  readonly maxEventLoopLagMs: number;
  close(): Promise<void>;
}

const RENDER_THREAD = new URL('./renderThread.ts', import.meta.url);

export function createRenderPool(deps: RenderPoolDeps, options: RenderPoolOptions): RenderPool {
  if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 64) {
    throw new RangeError(`threads must be an integer between 1 and 64, received ${options.threads}`);
  }
  const piscina = new Piscina<RenderSpec, RenderedImage>({
    filename: RENDER_THREAD.href,
    minThreads: options.threads,
    maxThreads: options.threads,
    // Keep threads warm: starting one (fonts, Skia, libvips) costs ~100 ms.
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    // Templates registered at start-up (test plugins only) must be known in every thread too.
    workerData: { templateModules: registeredTemplateModules() } satisfies RenderThreadData,
  });
  const lag: EventLoopLagMonitor = createEventLoopLagMonitor(
    { metrics: deps.metrics },
    options.lagIntervalMs === undefined ? {} : { intervalMs: options.lagIntervalMs },
  );

  return {
    threads: options.threads,
    get maxEventLoopLagMs() {
      return lag.maxLagMs;
    },
    async render(spec, { signal } = {}) {
      signal?.throwIfAborted();
      const done = lag.track();
      const started = performance.now();
      try {
        const image = await piscina.run(spec, signal === undefined ? {} : { signal });
        return { ...image, bytes: toUint8Array(image.bytes), renderMs: performance.now() - started };
      } catch (error) {
        if (signal?.aborted === true) throw new RenderCancelled(signal.reason);
        throw new RenderThreadFailed(error);
      } finally {
        done();
      }
    },
    async close() {
      lag.close();
      await piscina.destroy();
    },
  };
}

/** A Buffer returned by a thread arrives as a plain Uint8Array (structured clone); normalise either way. */
function toUint8Array(bytes: Uint8Array): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}
