import { randomUUID } from 'node:crypto';
import type { ImageJobRequestedV1 } from '@platform/contracts';

export const DEMO_TEMPLATES = ['card', 'gradient', 'fractal'] as const;
export type DemoTemplate = (typeof DEMO_TEMPLATES)[number];

const CARD_TITLES = [
  'You are invited',
  'Launch week, day one',
  'Meet the team behind the platform',
  'Quarterly review',
  'Welcome aboard',
];
const COLOURS = ['#6366f1', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#a855f7'];

/**
 * Demo jobs for `jobs submit --count N` and `npm start`: varied but deterministic per index, so a
 * demo batch exercises every layout, style and format.
 */
export function demoJob(
  template: DemoTemplate,
  index: number,
  options: { jobId?: string; requestedBy?: string; correlationId?: string } = {},
): ImageJobRequestedV1 {
  const accent = COLOURS[index % COLOURS.length] ?? '#6366f1';
  const base = {
    jobId: options.jobId ?? `demo-${template}-${randomUUID().slice(0, 8)}`,
    template,
    requestedAt: new Date().toISOString(),
    requestedBy: options.requestedBy ?? 'cli:demo',
    ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
  };
  switch (template) {
    case 'card':
      return {
        ...base,
        width: 1200,
        height: 630,
        format: (['png', 'jpeg', 'webp'] as const)[index % 3] ?? 'png',
        params: {
          title: CARD_TITLES[index % CARD_TITLES.length] ?? 'Hello',
          subtitle: `Demo card #${index + 1}, rendered by the image worker`,
          footer: 'example.com',
          accent,
          layout: (['left', 'center', 'split'] as const)[index % 3] ?? 'left',
        },
      };
    case 'gradient':
      return {
        ...base,
        width: 800,
        height: 400,
        format: 'png',
        params: {
          from: accent,
          to: COLOURS[(index + 2) % COLOURS.length] ?? '#0ea5e9',
          style: (['linear', 'radial', 'stripes', 'checker', 'dots'] as const)[index % 5] ?? 'linear',
          angle: (index * 37) % 360,
        },
      };
    case 'fractal':
      return {
        ...base,
        width: 600,
        height: 400,
        format: 'png',
        params: {
          kind: index % 2 === 0 ? 'mandelbrot' : 'julia',
          iterations: 200,
          palette: index % 2 === 0 ? 'fire' : 'ocean',
        },
      };
  }
}
