/**
 * BENCH ONLY: preloaded into every benchmarked process (`--import ./bench/worker/probe.ts`, after the
 * production preload). On SIGUSR2 it marks the start of the timed window (CPU so far is start-up, not
 * work); at exit it writes that window's CPU, the peak RSS and the event-loop delay p99 to
 * BENCH_PROBE_FILE. Never imported by production code.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_PROBE_FILE;
if (file !== undefined) {
  let lag = monitorEventLoopDelay({ resolution: 10 });
  let mark = process.cpuUsage();
  process.on('SIGUSR2', () => {
    mark = process.cpuUsage();
    lag.disable();
    lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
  });
  lag.enable();
  process.on('exit', () => {
    const cpu = process.cpuUsage(mark);
    writeFileSync(
      file,
      JSON.stringify({
        cpuMs: (cpu.user + cpu.system) / 1000,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        lagP99Ms: lag.percentile(99) / 1e6,
      }),
    );
  });
}
