import { randomUUID } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ImageJobRequestedV1 } from '@platform/contracts';
import { DEFAULT_RENDER_LIMITS } from '../../src/render/limits.ts';
import { renderImage } from '../../src/render/renderImage.ts';
import { prepareRenderSpec } from '../../src/render/spec.ts';

/** A small, fast job (tests share 2 cores): a 320x168 card unless overridden. */
export function testJob(overrides: Partial<ImageJobRequestedV1> = {}): ImageJobRequestedV1 {
  return {
    jobId: `job-${randomUUID()}`,
    template: 'card',
    width: 320,
    height: 168,
    format: 'png',
    params: { title: 'Test card', subtitle: 'from the image worker tests' },
    requestedAt: new Date().toISOString(),
    requestedBy: 'test',
    ...overrides,
  };
}

/**
 * Fractal parameters whose view lies inside the Mandelbrot set, so every pixel runs all
 * `iterations`: duration = pixels x iterations x (ns per iteration on this machine).
 */
export function slowFractalJob(
  iterations: number,
  overrides: Partial<ImageJobRequestedV1> = {},
): ImageJobRequestedV1 {
  return testJob({
    template: 'fractal',
    width: 32,
    height: 32,
    params: { iterations, centerX: -0.2, centerY: 0, zoom: 50 },
    ...overrides,
  });
}

/**
 * Iterations for a slow fractal of about `targetMs` on this machine right now: measured by rendering
 * the same view with the real renderer (after a warm-up, so the JIT has compiled the loop), not assumed.
 */
export async function iterationsFor(targetMs: number): Promise<number> {
  const limits = { ...DEFAULT_RENDER_LIMITS, maxFractalIterations: 1_000_000_000 };
  const probe = (iterations: number) => renderImage(prepareRenderSpec(slowFractalJob(iterations), limits));
  await probe(2_000);
  const probeIterations = 40_000;
  const started = performance.now();
  await probe(probeIterations);
  const msPerIteration = (performance.now() - started) / probeIterations;
  return Math.ceil(targetMs / msPerIteration);
}

export async function getObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await output.Body?.transformToByteArray()) ?? new Uint8Array());
}
