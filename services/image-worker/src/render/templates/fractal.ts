import { ImageData } from '@napi-rs/canvas';
import { ParamReader } from '../params.ts';
import type { Template } from './types.ts';

export const FRACTAL_KINDS = ['mandelbrot', 'julia'] as const;
export const FRACTAL_PALETTES = ['fire', 'ocean', 'mono'] as const;

export interface FractalParams {
  kind: (typeof FRACTAL_KINDS)[number];
  /** Escape-time iterations per pixel: the cost of a render grows linearly with it. */
  iterations: number;
  centerX: number;
  centerY: number;
  /** 1 shows the whole set; each doubling halves the visible span. */
  zoom: number;
  /** The constant c of a Julia set (ignored for Mandelbrot). */
  juliaRe: number;
  juliaIm: number;
  palette: (typeof FRACTAL_PALETTES)[number];
}

/**
 * A CPU-heavy escape-time fractal. Its duration is controlled by `iterations` (and by a view that
 * lies inside the set, where every pixel runs all of them), which is what the long-job and
 * heartbeat tests rely on. Pure double arithmetic, so the output is deterministic.
 */
export const fractalTemplate: Template<FractalParams> = {
  name: 'fractal',
  description:
    'Mandelbrot or Julia set; iterations (the cost), centerX, centerY, zoom, juliaRe, juliaIm, palette',
  parseParams(raw, _size, limits) {
    const read = new ParamReader('fractal', raw, [
      'kind',
      'iterations',
      'centerX',
      'centerY',
      'zoom',
      'juliaRe',
      'juliaIm',
      'palette',
    ]);
    const kind = read.oneOf('kind', FRACTAL_KINDS, 'mandelbrot');
    const params: FractalParams = {
      kind,
      iterations: read.number('iterations', {
        min: 1,
        max: limits.maxFractalIterations,
        fallback: 200,
        integer: true,
      }),
      // The Mandelbrot set's bulk lies left of the origin; a Julia set is centred on it.
      centerX: read.number('centerX', { min: -4, max: 4, fallback: kind === 'mandelbrot' ? -0.5 : 0 }),
      centerY: read.number('centerY', { min: -4, max: 4, fallback: 0 }),
      // Beyond ~1e13 doubles run out of precision and the picture turns to blocks.
      zoom: read.number('zoom', { min: 0.01, max: 1e13, fallback: 1 }),
      juliaRe: read.number('juliaRe', { min: -2, max: 2, fallback: -0.8 }),
      juliaIm: read.number('juliaIm', { min: -2, max: 2, fallback: 0.156 }),
      palette: read.oneOf('palette', FRACTAL_PALETTES, 'fire'),
    };
    read.done();
    return params;
  },
  draw(ctx, { width, height }, p) {
    const lut = paletteTable(p.palette);
    const pixels = new Uint8ClampedArray(width * height * 4);
    // Hoisted into locals: the inner loop runs up to width x height x iterations times.
    const maxIterations = p.iterations;
    const julia = p.kind === 'julia';
    const { centerX, centerY, juliaRe, juliaIm } = p;
    // The set spans ~3.5 units across the longer side at zoom 1, keeping pixels square.
    const scale = 3.5 / p.zoom / Math.max(width, height);
    const bailout = 256; // a large escape radius keeps the smooth colouring below continuous
    let offset = 0;
    for (let py = 0; py < height; py += 1) {
      const y0 = centerY + (py - height / 2) * scale;
      for (let px = 0; px < width; px += 1) {
        const x0 = centerX + (px - width / 2) * scale;
        let x = julia ? x0 : 0;
        let y = julia ? y0 : 0;
        const cx = julia ? juliaRe : x0;
        const cy = julia ? juliaIm : y0;
        let x2 = x * x;
        let y2 = y * y;
        let i = 0;
        while (x2 + y2 <= bailout && i < maxIterations) {
          y = 2 * x * y + cy;
          x = x2 - y2 + cx;
          x2 = x * x;
          y2 = y * y;
          i += 1;
        }
        if (i < maxIterations) {
          // Smooth (normalised) escape count: avoids visible colour bands.
          const smooth = i + 1 - Math.log2(Math.log(x2 + y2) / 2);
          const index = (Math.floor(smooth * 6) & 0xff) * 3;
          pixels[offset] = lut[index] ?? 0;
          pixels[offset + 1] = lut[index + 1] ?? 0;
          pixels[offset + 2] = lut[index + 2] ?? 0;
        }
        // Inside the set stays black (the array starts zeroed); every pixel is opaque.
        pixels[offset + 3] = 255;
        offset += 4;
      }
    }
    ctx.putImageData(new ImageData(pixels, width, height), 0, 0);
  },
};

/** 256 RGB entries; the escape count cycles through them. */
function paletteTable(palette: FractalParams['palette']): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let n = 0; n < 256; n += 1) {
    const t = n / 255;
    const wave = 0.5 - 0.5 * Math.cos(2 * Math.PI * t);
    let rgb: [number, number, number];
    if (palette === 'fire') rgb = [255 * Math.min(1, wave * 1.6), 255 * wave * wave, 80 * wave * wave * wave];
    else if (palette === 'ocean') rgb = [30 * wave, 160 * wave + 40 * t, 90 + 165 * wave];
    else rgb = [255 * wave, 255 * wave, 255 * wave];
    table.set(
      rgb.map((c) => Math.round(c)),
      n * 3,
    );
  }
  return table;
}
