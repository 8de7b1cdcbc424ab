/**
 * Entry of a render thread (a piscina worker). Drawing is synchronous CPU work, so it runs here and
 * never on the main event loop, where heartbeats (visibility and lease renewals) must keep their
 * schedule. The spec was checked on the main thread (prepareRenderSpec); this only draws and encodes.
 */
import { registerBundledFonts } from './fonts.ts';
import { renderImage, type RenderedImage } from './renderImage.ts';
import type { RenderSpec } from './spec.ts';
import { workerData } from 'piscina';

export interface RenderThreadData {
  /** Modules that registered extra templates on the main thread (registerTemplate): loaded here too. */
  templateModules: string[];
}

for (const module of (workerData as RenderThreadData | undefined)?.templateModules ?? [])
  await import(module);

// Once per thread, before the first task, so the first render is not slower than the rest.
registerBundledFonts();

export default function render(spec: RenderSpec): Promise<RenderedImage> {
  return renderImage(spec);
}
