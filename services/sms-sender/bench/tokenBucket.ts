// Benchmark: does the shared token bucket turn a burst into a paced stream?
//   node services/sms-sender/bench/tokenBucket.ts [--rate 20] [--messages 200] [--slots 8]
// Starts `slots` concurrent "senders" (like WORKER_CONCURRENCY) that each take a token per message
// from ONE bucket, then prints the achieved rate, the largest number of sends in any one-second
// window (what the provider sees) and the wait per message. Figures only; nothing is asserted.
import { parseArgs } from 'node:util';
import { createTokenBucket } from '../src/tokenBucket.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    burst: { type: 'string' },
    messages: { type: 'string', default: '200' },
    slots: { type: 'string', default: '8' },
  },
});
const rate = Number(values.rate);
const messages = Number(values.messages);
const slots = Number(values.slots);
const burst = values.burst === undefined ? undefined : Number(values.burst);

const bucket = createTokenBucket({}, { ratePerSecond: rate, ...(burst === undefined ? {} : { burst }) });
const sentAt: number[] = [];
const waits: number[] = [];
let next = 0;
const started = performance.now();

await Promise.all(
  Array.from({ length: slots }, async () => {
    while (next < messages) {
      next++;
      waits.push(await bucket.take());
      sentAt.push(performance.now() - started);
    }
  }),
);
const elapsedMs = performance.now() - started;

// Largest count of sends inside any sliding one-second window.
sentAt.sort((a, b) => a - b);
let maxInWindow = 0;
for (let i = 0, j = 0; i < sentAt.length; i++) {
  while ((sentAt[i] ?? 0) - (sentAt[j] ?? 0) >= 1000) j++;
  maxInWindow = Math.max(maxInWindow, i - j + 1);
}
waits.sort((a, b) => a - b);
const pct = (p: number) => waits[Math.min(waits.length - 1, Math.floor((p / 100) * waits.length))] ?? 0;
// After the initial burst the rate is the configured one: (n - burst) tokens over the elapsed time.
const effectiveBurst = burst ?? 1;
const sustained = ((messages - effectiveBurst) / elapsedMs) * 1000;

console.log(
  `token bucket: rate ${rate}/s, burst ${effectiveBurst}, ${messages} messages over ${slots} slots`,
);
console.log(`  elapsed              ${(elapsedMs / 1000).toFixed(2)} s`);
console.log(`  sustained rate       ${sustained.toFixed(2)} msg/s after the initial burst (target ${rate})`);
console.log(`  max in any 1 s       ${maxInWindow} (a burst of ${effectiveBurst} plus ${rate} refilled)`);
console.log(
  `  wait per message     p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${(waits.at(-1) ?? 0).toFixed(1)} ms`,
);
