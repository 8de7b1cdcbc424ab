import { ParamReader } from '../params.ts';
import { gradientTemplate, type GradientParams } from './gradient.ts';
import type { Template } from './types.ts';

export interface FaultInjectionParams {
  /** Attempts (ledger acquisitions) 1..failAttempts fail with InjectedTransientFault; later ones render. */
  failAttempts: number;
  gradient: GradientParams;
}

export const FAULT_INJECTION_TEMPLATE = 'test-transient-fault';

/**
 * A TEST-ONLY template that stands for a flaky dependency: the job handler fails its first
 * `failAttempts` attempts with a transient error, then it renders a plain gradient. It exists only
 * when IMAGE_WORKER_FAULT_INJECTION=true (tests and the chaos run); in production the name is an
 * unknown template like any other.
 */
export const faultInjectionTemplate: Template<FaultInjectionParams> = {
  name: FAULT_INJECTION_TEMPLATE,
  description: 'TEST ONLY: fails its first failAttempts attempts transiently, then renders a gradient',
  parseParams(raw, size, limits) {
    const { failAttempts, ...rest } = raw;
    const read = new ParamReader(FAULT_INJECTION_TEMPLATE, { failAttempts: failAttempts ?? 1 }, [
      'failAttempts',
    ]);
    const parsed = read.number('failAttempts', { min: 0, max: 1000, fallback: 1, integer: true });
    read.done();
    return { failAttempts: parsed, gradient: gradientTemplate.parseParams(rest, size, limits) };
  },
  draw(ctx, size, params) {
    gradientTemplate.draw(ctx, size, params.gradient);
  },
};
