import { RenderLimitExceeded, UnknownTemplate } from '../errors.ts';
import { MIN_DIMENSION, type RenderLimits } from './limits.ts';
import type { RawParams } from './params.ts';
import { availableTemplates, findTemplate } from './templates/index.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/**
 * Bumped whenever a template, a font or an encoder setting changes its output. Output is a pure
 * function of (spec, RENDERER_VERSION); the ledger records the version with every image.
 */
export const RENDERER_VERSION = '1';

/** What a job asks for, as the contract carries it (template and params not yet checked). */
export interface RenderRequest {
  template: string;
  width: number;
  height: number;
  format: ImageFormat;
  params: RawParams;
}

/**
 * A checked request: a known template, sizes within limits, parsed and defaulted parameters (of the
 * shape that template's parseParams returned; only that template reads them).
 */
export interface RenderSpec {
  template: string;
  width: number;
  height: number;
  format: ImageFormat;
  params: unknown;
}

/**
 * Turns a request into a RenderSpec or throws a permanent error (UnknownTemplate,
 * RenderLimitExceeded, InvalidTemplateParams). Runs on the main thread, before any lease is spent
 * on rendering, and is the only gate: render threads trust a spec.
 */
export function prepareRenderSpec(request: RenderRequest, limits: RenderLimits): RenderSpec {
  const template = findTemplate(request.template);
  if (template === undefined) throw new UnknownTemplate(request.template, availableTemplates());

  checkRange('width', request.width, MIN_DIMENSION, limits.maxWidth);
  checkRange('height', request.height, MIN_DIMENSION, limits.maxHeight);
  checkRange(
    'pixels (width x height)',
    request.width * request.height,
    MIN_DIMENSION * MIN_DIMENSION,
    limits.maxPixels,
  );

  const size = { width: request.width, height: request.height };
  const params = template.parseParams(request.params, size, limits);
  return { template: template.name, ...size, format: request.format, params };
}

function checkRange(limit: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RenderLimitExceeded(limit, value, max, min);
}
