import type { FaultHandle, RequestCounter, RequestFilter } from '@platform/testkit';

export interface FaultMix {
  /** Share of matching requests that meet a fault (0..1), split evenly over the three kinds. */
  rate: number;
  /** Injected latency range before forwarding, ms. */
  latencyMs: [number, number];
}

export interface InstalledFaults {
  errors: FaultHandle;
  latency: FaultHandle;
  lostAnswers: FaultHandle;
  summary(): string;
}

/**
 * One third each of 5xx answers, latency, and answers lost after the emulator applied the request.
 * The proxy tries rules in order and rolls each one's probability only when the previous ones did not
 * fire, so the conditional probabilities below make the three kinds equally likely, `rate` in total.
 */
export function installFaultMix(
  counter: RequestCounter,
  match: RequestFilter,
  mix: FaultMix,
): InstalledFaults {
  const third = mix.rate / 3;
  const errors = counter.addFault({ match, status: 503, probability: third });
  const lostAnswers = counter.addFault({
    match,
    drop: 'after-forward',
    probability: third / (1 - third),
  });
  const latency = counter.addFault({
    match,
    delayMs: mix.latencyMs[0],
    maxDelayMs: mix.latencyMs[1],
    probability: third / (1 - 2 * third),
  });
  return {
    errors,
    latency,
    lostAnswers,
    summary: () =>
      `${errors.hits} 503, ${latency.hits} delayed, ${lostAnswers.hits} answers lost after forward`,
  };
}
