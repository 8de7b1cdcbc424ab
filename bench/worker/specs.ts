import { encodeMessage, type ImageJobRequestedV1 } from '@platform/contracts';

export type Mix = 'mixed' | 'cards';

/** Deterministic job set: the same N jobs for every variant of a run (ids differ per variant). */
export function planJobs(mix: Mix, count: number, prefix: string): ImageJobRequestedV1[] {
  const formats = ['png', 'jpeg', 'webp'] as const;
  const jobs: ImageJobRequestedV1[] = [];
  for (let i = 0; i < count; i++) {
    const base = {
      jobId: `${prefix}-${i}`,
      format: formats[i % 3]!,
      requestedAt: new Date().toISOString(),
      requestedBy: 'bench',
    };
    const kind = mix === 'cards' ? 'card' : (['card', 'card', 'gradient', 'fractal'] as const)[i % 4]!;
    if (kind === 'card')
      jobs.push({ ...base, template: 'card', width: 600, height: 315, params: { title: `Bench card ${i}` } });
    else if (kind === 'gradient')
      jobs.push({ ...base, template: 'gradient', width: 400, height: 240, params: { style: 'radial' } });
    else
      jobs.push({
        ...base,
        template: 'fractal',
        width: 96,
        height: 64,
        params: { iterations: 2000, centerX: -0.2, zoom: 50 },
      });
  }
  return jobs;
}

export const encodeJob = (job: ImageJobRequestedV1) => encodeMessage('image.job.requested', job);
