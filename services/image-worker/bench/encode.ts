/**
 * Encoder benchmark: Skia (@napi-rs/canvas `encode`) against libvips (`sharp` on the raw pixels) for
 * each output format, on the pixels of real templates at 1200x630 (the social-card size).
 * Prints p50/p99 encode time, output size and the Skia/sharp ratio. Figures, not assertions:
 *
 *   node services/image-worker/bench/encode.ts [runs=40]
 */
import { performance } from 'node:perf_hooks';
import { createCanvas } from '@napi-rs/canvas';
import { encodeCanvas, type EncoderName } from '../src/render/encode.ts';
import { registerBundledFonts } from '../src/render/fonts.ts';
import { DEFAULT_RENDER_LIMITS } from '../src/render/limits.ts';
import { prepareRenderSpec, type ImageFormat, type RenderRequest } from '../src/render/spec.ts';
import { findTemplate } from '../src/render/templates/index.ts';

const runs = Number(process.argv[2] ?? 40);
const WARMUP = 3;
const FORMATS: ImageFormat[] = ['png', 'jpeg', 'webp'];
const ENCODERS: EncoderName[] = ['skia', 'sharp'];

const requests: RenderRequest[] = [
  {
    template: 'card',
    width: 1200,
    height: 630,
    format: 'png',
    params: {
      title: 'You are invited to the launch',
      subtitle: 'Thursday 18:00, rooftop terrace',
      footer: 'example.com',
    },
  },
  { template: 'gradient', width: 1200, height: 630, format: 'png', params: { style: 'dots', cell: 24 } },
  { template: 'fractal', width: 1200, height: 630, format: 'png', params: { iterations: 300 } },
];

registerBundledFonts();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const rows: string[][] = [];
for (const request of requests) {
  const spec = prepareRenderSpec(request, DEFAULT_RENDER_LIMITS);
  const canvas = createCanvas(spec.width, spec.height);
  const drawStart = performance.now();
  findTemplate(spec.template)?.draw(canvas.getContext('2d'), spec, spec.params);
  const drawMs = performance.now() - drawStart;

  for (const format of FORMATS) {
    const p50: Partial<Record<EncoderName, number>> = {};
    for (const encoder of ENCODERS) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < WARMUP + runs; i += 1) {
        const start = performance.now();
        const out = await encodeCanvas(canvas, format, encoder);
        if (i >= WARMUP) times.push(performance.now() - start);
        bytes = out.length;
      }
      times.sort((a, b) => a - b);
      p50[encoder] = percentile(times, 50);
      rows.push([
        `${request.template} (draw ${drawMs.toFixed(1)} ms)`,
        format,
        encoder,
        percentile(times, 50).toFixed(1),
        percentile(times, 99).toFixed(1),
        (bytes / 1024).toFixed(0),
        '',
      ]);
    }
    const last = rows.at(-1);
    if (last !== undefined && p50.skia !== undefined && p50.sharp !== undefined) {
      last[6] = `skia/sharp ${(p50.skia / p50.sharp).toFixed(2)}x`;
    }
  }
}

const header = ['template', 'format', 'encoder', 'p50 ms', 'p99 ms', 'KiB', 'ratio (p50)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`encode benchmark: 1200x630, ${runs} runs after ${WARMUP} warm-up, Node ${process.version}`);
console.log(line(header));
for (const row of rows) console.log(line(row));
