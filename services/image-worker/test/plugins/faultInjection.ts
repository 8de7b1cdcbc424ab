/**
 * TEST-ONLY plugin: importing it (in-process tests) or preloading it (`FAULT_INJECTION_PRELOAD` from
 * ./index.ts, for a worker process) registers the
 * `test-transient-fault` template, which stands for a flaky dependency. Its first `failAttempts`
 * attempts fail with a transient error, later ones render a plain gradient. Tests and the chaos run
 * start the real worker entry point with it; production never loads it, so there the name is an
 * unknown template like any other.
 */
import { TransientError } from '@platform/errors';
import { ParamReader } from '../../src/render/params.ts';
import {
  gradientTemplate,
  registerTemplate,
  type GradientParams,
  type Template,
} from '../../src/render/templates/index.ts';

export const FAULT_INJECTION_TEMPLATE = 'test-transient-fault';

export interface FaultInjectionParams {
  /** Attempts (ledger acquisitions) 1..failAttempts fail with InjectedTransientFault; later ones render. */
  failAttempts: number;
  gradient: GradientParams;
}

/** Stands for any transient dependency failure; the worker retries it like a throttled S3 call. */
export class InjectedTransientFault extends TransientError {
  override readonly name = 'InjectedTransientFault';
  readonly attempt: number;

  constructor(attempt: number, failAttempts: number) {
    super(
      'INJECTED_TRANSIENT_FAULT',
      `injected transient fault on attempt ${attempt} of ${failAttempts} failing`,
      {
        details: { attempt, failAttempts },
      },
    );
    this.attempt = attempt;
  }
}

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
  beforeAttempt(params, attempt) {
    if (attempt <= params.failAttempts) throw new InjectedTransientFault(attempt, params.failAttempts);
  },
};

registerTemplate(faultInjectionTemplate, import.meta.url);
