import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createCanvas } from '@napi-rs/canvas';
import { encodeCanvas, ENCODER_BY_FORMAT, type EncoderName } from './encode.ts';
import { registerBundledFonts } from './fonts.ts';
import { CONTENT_TYPES, type RenderSpec } from './spec.ts';
import { findTemplate } from './templates/index.ts';

export interface RenderedImage {
  bytes: Uint8Array;
  contentType: string;
  /** Hex SHA-256 of `bytes`: the ledger records it and a re-upload is recognised by it. */
  sha256: string;
  drawMs: number;
  encodeMs: number;
}

/**
 * Draws and encodes one image. CPU-bound and synchronous in its drawing: call it in a render thread
 * (renderThread.ts), never on the event loop that runs heartbeats.
 */
export async function renderImage(
  spec: RenderSpec,
  options: { encoder?: EncoderName } = {},
): Promise<RenderedImage> {
  registerBundledFonts();
  const started = performance.now();
  const canvas = createCanvas(spec.width, spec.height);
  const ctx = canvas.getContext('2d');
  // prepareRenderSpec accepted this name, so this thread knows it too (see RenderThreadData).
  const template = findTemplate(spec.template);
  if (template === undefined) throw new Error(`render thread does not know template ${spec.template}`);
  template.draw(ctx, { width: spec.width, height: spec.height }, spec.params);
  const drawn = performance.now();
  const bytes = await encodeCanvas(canvas, spec.format, options.encoder ?? ENCODER_BY_FORMAT[spec.format]);
  const encoded = performance.now();
  return {
    bytes,
    contentType: CONTENT_TYPES[spec.format],
    sha256: createHash('sha256').update(bytes).digest('hex'),
    drawMs: drawn - started,
    encodeMs: encoded - drawn,
  };
}
