import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_NAMES, encodeMessage, type ImageJobRequestedV1 } from '@platform/contracts';
import { pick } from './random.ts';

export type JobKind = 'valid' | 'flaky' | 'poison';

/** One message to send; `jobId` is undefined for poison whose body has none (unparseable JSON). */
export interface PlannedMessage {
  kind: JobKind;
  jobId: string | undefined;
  /** Why this poison must be dead-lettered (the expected dlq-reason). */
  expectedReason?: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** A second, identical submission (5% of valid jobs). */
  duplicate: boolean;
}

export interface MixOptions {
  jobs: number;
  duplicateRate: number;
  poisonRate: number;
  flakyRate: number;
}

const envelope: Record<string, MessageAttributeValue> = {
  [ATTRIBUTE_NAMES.contract]: { DataType: 'String', StringValue: 'image.job.requested' },
  [ATTRIBUTE_NAMES.contractVersion]: { DataType: 'String', StringValue: '1' },
  [ATTRIBUTE_NAMES.contentType]: { DataType: 'String', StringValue: 'application/json' },
};

function encoded(kind: JobKind, job: ImageJobRequestedV1, duplicate = false): PlannedMessage {
  const { MessageBody, MessageAttributes } = encodeMessage('image.job.requested', job);
  return { kind, jobId: job.jobId, body: MessageBody, attributes: MessageAttributes, duplicate };
}

/** Small images (2 shared cores): the run is about failures, not about rendering throughput. */
function validJob(random: () => number, jobId: string): ImageJobRequestedV1 {
  const format = pick(random, ['png', 'jpeg', 'webp'] as const);
  const base = { jobId, format, requestedAt: new Date().toISOString(), requestedBy: 'chaos' };
  // One job in seven is slow (a second or more): long enough that a SIGSTOP often lands mid-job.
  switch (pick(random, ['card', 'card', 'gradient', 'gradient', 'fractal', 'fractal', 'slow'] as const)) {
    case 'card':
      return {
        ...base,
        template: 'card',
        width: 320,
        height: 168,
        params: { title: `Chaos ${jobId}`, layout: pick(random, ['left', 'center', 'split'] as const) },
      };
    case 'gradient':
      return {
        ...base,
        template: 'gradient',
        width: 200,
        height: 120,
        params: { style: pick(random, ['linear', 'radial', 'stripes', 'checker', 'dots'] as const) },
      };
    case 'fractal':
      // A few hundred ms: long enough that kills regularly land mid-render.
      return {
        ...base,
        template: 'fractal',
        width: 96,
        height: 64,
        params: { iterations: 2_000 + Math.floor(random() * 6_000), centerX: -0.2, zoom: 50 },
      };
    case 'slow':
      // About 1-2 s on a loaded 2-core machine (measured: 96x64 at 8000 iterations ~0.6 s there; the
      // cost grows with pixels x iterations, and 480x252 at 20000 took 33 s).
      return {
        ...base,
        template: 'fractal',
        width: 128,
        height: 84,
        params: { iterations: 12_000, centerX: -0.2, zoom: 50 },
      };
  }
}

function poison(random: () => number, jobId: string): PlannedMessage {
  const job = validJob(random, jobId);
  switch (pick(random, ['json', 'schema', 'template', 'oversize', 'params'] as const)) {
    case 'json':
      return {
        kind: 'poison',
        jobId: undefined,
        expectedReason: 'INVALID_JSON',
        body: `{"jobId":"${jobId}",`,
        attributes: envelope,
        duplicate: false,
      };
    case 'schema':
      return {
        kind: 'poison',
        jobId,
        expectedReason: 'SCHEMA_VIOLATION',
        body: JSON.stringify({ ...job, width: 'wide' }),
        attributes: envelope,
        duplicate: false,
      };
    case 'template':
      return {
        ...encoded('poison', { ...job, template: 'no-such-template' }),
        expectedReason: 'TEMPLATE_UNKNOWN',
      };
    case 'oversize':
      return {
        ...encoded('poison', { ...job, width: 8000, height: 8000 }),
        expectedReason: 'RENDER_LIMIT_EXCEEDED',
      };
    case 'params':
      return {
        ...encoded('poison', { ...job, template: 'card', params: { title: '' } }),
        expectedReason: 'TEMPLATE_PARAMS_INVALID',
      };
  }
}

/**
 * The run's messages in submission order. The rates become exact counts (at least one of each kind),
 * spread over the run by the seeded random, so every run, however small, has poison, flaky jobs and
 * duplicates to account for.
 */
export function planMessages(random: () => number, runId: string, options: MixOptions): PlannedMessage[] {
  const exactly = (rate: number) => Math.max(1, Math.round(options.jobs * rate));
  const kinds: JobKind[] = [
    ...Array<JobKind>(exactly(options.poisonRate)).fill('poison'),
    ...Array<JobKind>(exactly(options.flakyRate)).fill('flaky'),
  ];
  kinds.push(...Array<JobKind>(Math.max(0, options.jobs - kinds.length)).fill('valid'));
  // Fisher-Yates with the seeded random: where the poison and the flaky jobs fall varies by seed.
  for (let i = kinds.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as JobKind, kinds[i] as JobKind];
  }

  const planned: PlannedMessage[] = kinds.map((kind, i) => {
    const jobId = `${runId}-${String(i).padStart(4, '0')}`;
    if (kind === 'poison') return poison(random, jobId);
    if (kind === 'flaky') {
      // The test-only template fails its first 1-2 attempts with a transient error, then renders.
      const failAttempts = 1 + Math.floor(random() * 2);
      return encoded('flaky', {
        ...validJob(random, jobId),
        template: 'test-transient-fault',
        width: 120,
        height: 80,
        params: { failAttempts, style: 'stripes' },
      });
    }
    return encoded('valid', validJob(random, jobId));
  });

  // Duplicates: valid jobs sent a second time, some time after the original (a producer retrying).
  const valid = planned.filter((m) => m.kind === 'valid');
  for (let n = 0; n < exactly(options.duplicateRate) && valid.length > 0; n += 1) {
    const original = valid.splice(Math.floor(random() * valid.length), 1)[0];
    if (original === undefined) break;
    const from = planned.indexOf(original) + 1;
    planned.splice(from + Math.floor(random() * (planned.length - from + 1)), 0, {
      ...original,
      duplicate: true,
    });
  }
  return planned;
}
