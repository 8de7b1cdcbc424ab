/**
 * What one render may cost. Every limit is checked before any pixel is drawn and a breach is a
 * permanent error: the same job would breach it on every retry, so it goes to the DLQ at once.
 */
export interface RenderLimits {
  maxWidth: number;
  maxHeight: number;
  /** Width x height. RGBA costs 4 bytes a pixel, so 8.3 MP is ~32 MiB of raw pixels in a render thread. */
  maxPixels: number;
  /** Upper bound of the fractal `iterations` parameter (its cost grows linearly with it). */
  maxFractalIterations: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxWidth: 4096,
  maxHeight: 4096,
  // 3840 x 2160 (4K UHD): the largest social or print preview anyone asked for.
  maxPixels: 3840 * 2160,
  // ~1 s for a 1200x630 view fully inside the set on one core here; longer jobs need a raised limit.
  maxFractalIterations: 20_000,
};

// Below 16 px a card's text cannot be laid out; 16 is also the smallest favicon size.
export const MIN_DIMENSION = 16;
