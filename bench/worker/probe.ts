/**
 * BENCH ONLY: preloaded into every benchmarked process (`--import ./bench/worker/probe.ts`, after the
 * production preload). On SIGUSR2 it marks the start of the timed window (CPU so far is start-up, not
 * work); at exit it writes that window's CPU, the peak RSS and the event-loop delay p99 to
 * BENCH_PROBE_FILE. Never imported by production code.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_PROBE_FILE;

/** CPU ms per thread name (`node`, `V8 DefaultWorke` = GC and compiler helpers, `libuv-worker`, ...), Linux only. */
function cpuByThreadName(): Record<string, number> {
  const byName: Record<string, number> = {};
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime + stime in USER_HZ (100 per second); an exited thread's time is lost (none exit here).
        byName[name] = (byName[name] ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      } catch {
        // The thread exited between readdir and read.
      }
    }
  } catch {
    // Not Linux.
  }
  return byName;
}
// Render threads inherit the --import; only the main thread measures (and writes the file).
if (file !== undefined && isMainThread) {
  let lag = monitorEventLoopDelay({ resolution: 10 });
  let mark = process.cpuUsage();
  // The main thread alone (render threads excluded): the event loop's own work per job.
  let mainMark = process.threadCpuUsage();
  let threadsMark = cpuByThreadName();
  process.on('SIGUSR2', () => {
    threadsMark = cpuByThreadName();
    mark = process.cpuUsage();
    mainMark = process.threadCpuUsage();
    lag.disable();
    lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
  });
  lag.enable();
  // Peaks of the parts of the RSS, to tell a growing JS heap from growing native memory.
  const peak = { heapTotalMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
  setInterval(() => {
    const m = process.memoryUsage();
    peak.heapTotalMb = Math.max(peak.heapTotalMb, m.heapTotal / 2 ** 20);
    peak.heapUsedMb = Math.max(peak.heapUsedMb, m.heapUsed / 2 ** 20);
    peak.externalMb = Math.max(peak.externalMb, m.external / 2 ** 20);
    peak.arrayBuffersMb = Math.max(peak.arrayBuffersMb, m.arrayBuffers / 2 ** 20);
  }, 250).unref();
  process.on('exit', () => {
    // With --expose-gc (e.g. --worker-env NODE_OPTIONS=--expose-gc): the heap still alive after a
    // full collection, which tells a leak (grows with the job count) from garbage not yet collected.
    const gc = (globalThis as { gc?: () => void }).gc;
    let liveHeapMb: number | undefined;
    if (gc !== undefined) {
      gc();
      liveHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
    }
    const cpu = process.cpuUsage(mark);
    const main = process.threadCpuUsage(mainMark);
    const threads = cpuByThreadName();
    for (const [name, ms] of Object.entries(threads)) threads[name] = ms - (threadsMark[name] ?? 0);
    writeFileSync(
      file,
      JSON.stringify({
        cpuMs: (cpu.user + cpu.system) / 1000,
        mainThreadCpuMs: (main.user + main.system) / 1000,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        lagP99Ms: lag.percentile(99) / 1e6,
        threadsCpuMs: threads,
        peak: { ...peak, liveHeapMb },
      }),
    );
  });
}
