import type { SKRSContext2D } from '@napi-rs/canvas';
import type { RenderLimits } from '../limits.ts';
import type { RawParams } from '../params.ts';

export interface Size {
  width: number;
  height: number;
}

/**
 * A template is two pure functions: `parseParams` runs on the main thread before any work (so a
 * bad job is rejected as permanent without touching a render thread) and `draw` runs in a render
 * thread on the parsed, defaulted parameters. Both must be deterministic: no clock, no randomness,
 * no host fonts, so one spec always gives the same bytes for one renderer version.
 */
export interface Template<P> {
  readonly name: string;
  readonly description: string;
  parseParams(raw: RawParams, size: Size, limits: RenderLimits): P;
  draw(ctx: SKRSContext2D, size: Size, params: P): void;
  /**
   * Optional, on the main thread before each attempt is rendered (`attempt` counts ledger
   * acquisitions, so it survives a DLQ redrive); a throw ends the attempt with that error. No built-in
   * template has one: it is how a test template stands for a flaky dependency.
   */
  beforeAttempt?(params: P, attempt: number): void;
}
