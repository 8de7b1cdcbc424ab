import type { Canvas } from '@napi-rs/canvas';
import sharp from 'sharp';
import type { ImageFormat } from './spec.ts';

export type EncoderName = 'skia' | 'sharp';

// Lossy formats at 85: the usual web default, visually clean for flat cards and gradients.
const LOSSY_QUALITY = 85;

/**
 * The encoder each format uses, chosen by measurement (bench/encode.ts; figures in
 * docs/image-worker.md). At 1200x630 libvips (sharp) encodes PNG 1.4-2.8x faster than Skia (p50
 * ~17-37 ms against ~49-81 ms), while Skia is the faster one for JPEG (~0.7x of sharp's time) and
 * WebP (~0.6-0.8x), at the same output size. Encoding, not drawing, dominates a card's render.
 */
export const ENCODER_BY_FORMAT: Readonly<Record<ImageFormat, EncoderName>> = {
  png: 'sharp',
  jpeg: 'skia',
  webp: 'skia',
};

// One libvips thread per encode: the pool already runs RENDER_THREADS encodes side by side, and
// more vips threads would only compete for the same cores. No operation cache: every input is new.
sharp.concurrency(1);
sharp.cache(false);

export async function encodeCanvas(
  canvas: Canvas,
  format: ImageFormat,
  encoder: EncoderName,
): Promise<Buffer> {
  if (encoder === 'skia') {
    if (format === 'png') return canvas.encode('png');
    return canvas.encode(format, LOSSY_QUALITY);
  }
  // canvas.data() is RGBA8888 with premultiplied alpha (Skia's native layout); telling libvips so
  // avoids a second premultiplication. Every template paints an opaque ground, so alpha is 255 anyway.
  const image = sharp(canvas.data(), {
    raw: { width: canvas.width, height: canvas.height, channels: 4, premultiplied: true },
  });
  if (format === 'png') return image.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
  if (format === 'jpeg') return image.jpeg({ quality: LOSSY_QUALITY, mozjpeg: false }).toBuffer();
  return image.webp({ quality: LOSSY_QUALITY }).toBuffer();
}
