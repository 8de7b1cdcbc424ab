import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Metrics } from '@platform/telemetry';

export type LagMetrics = Pick<Metrics, 'record'>;

export interface EventLoopLagOptions {
  /** How often a sample is recorded while rendering (ms). Default 1000. */
  intervalMs?: number;
  /** Histogram resolution (ms). Default 10. */
  resolutionMs?: number;
}

export interface EventLoopLagMonitor {
  /** Marks the start of a render; call the returned function when it ends. */
  track(): () => void;
  /** Largest delay seen since start, ms (for logs and tests). */
  readonly maxLagMs: number;
  close(): void;
}

/**
 * Measures event-loop delay while renders are in flight and records it as EventLoopLagMs (the max of
 * each interval). Rendering runs in threads precisely so this stays small; a growing value means the
 * main thread is starved and heartbeats (visibility extension, lease renewal) are at risk.
 */
export function createEventLoopLagMonitor(
  deps: { metrics: LagMetrics },
  options: EventLoopLagOptions = {},
): EventLoopLagMonitor {
  const intervalMs = options.intervalMs ?? 1000;
  const histogram = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 10 });
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  let maxLagMs = 0;

  const flush = (): void => {
    if (histogram.count === 0) return;
    // The histogram counts in nanoseconds and includes the sampling resolution itself.
    const lagMs = histogram.max / 1e6;
    maxLagMs = Math.max(maxLagMs, lagMs);
    deps.metrics.record('EventLoopLagMs', Math.round(lagMs * 10) / 10);
    histogram.reset();
  };

  return {
    track() {
      active += 1;
      if (active === 1) {
        histogram.reset();
        histogram.enable();
        timer = setInterval(flush, intervalMs);
        timer.unref();
      }
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        active -= 1;
        if (active === 0) {
          clearInterval(timer);
          flush();
          histogram.disable();
        }
      };
    },
    get maxLagMs() {
      return maxLagMs;
    },
    close() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
