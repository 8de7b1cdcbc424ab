import { createHash } from 'node:crypto';
import test from 'ava';
import sharp from 'sharp';
import { InvalidTemplateParams, RenderLimitExceeded, UnknownTemplate } from '../../src/errors.ts';
import { classifyError } from '@platform/errors';
import { DEFAULT_RENDER_LIMITS } from '../../src/render/limits.ts';
import { renderImage } from '../../src/render/renderImage.ts';
import { prepareRenderSpec, type RenderRequest } from '../../src/render/spec.ts';

const limits = DEFAULT_RENDER_LIMITS;
const prepare = (request: Partial<RenderRequest>) =>
  prepareRenderSpec(
    { template: 'card', width: 240, height: 126, format: 'png', params: { title: 'Hello' }, ...request },
    limits,
  );
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const samples: Array<[string, Partial<RenderRequest>]> = [
  [
    'card left png',
    {
      params: {
        title: 'A fairly long title that has to wrap over lines',
        subtitle: 'Łódź · Привет · Ελληνικά',
        footer: 'example.com',
      },
    },
  ],
  ['card center jpeg', { format: 'jpeg', params: { title: 'Centre', layout: 'center', accent: '#f59e0b' } }],
  [
    'card split webp',
    { format: 'webp', params: { title: 'Split', layout: 'split', background: '#fff', foreground: '#111' } },
  ],
  ['gradient linear', { template: 'gradient', params: { from: '#000', to: '#fff', angle: 90 } }],
  ['gradient dots', { template: 'gradient', params: { style: 'dots', cell: 12 } }],
  [
    'fractal julia',
    {
      template: 'fractal',
      width: 96,
      height: 64,
      params: { kind: 'julia', iterations: 80, palette: 'ocean' },
    },
  ],
];

for (const [name, request] of samples) {
  test(`${name}: decodes as the requested format and size, and renders byte-identically twice`, async (t) => {
    const spec = prepare(request);
    const first = await renderImage(spec);
    const second = await renderImage(prepare(request));
    t.is(first.sha256, sha256(first.bytes));
    t.is(second.sha256, first.sha256, 'deterministic for one spec and renderer version');
    const metadata = await sharp(first.bytes).metadata();
    t.is(metadata.format, spec.format);
    t.is(metadata.width, spec.width);
    t.is(metadata.height, spec.height);
    t.is(first.contentType, `image/${spec.format}`);
  });
}

test('different specs give different images', async (t) => {
  const a = await renderImage(prepare({ params: { title: 'One' } }));
  const b = await renderImage(prepare({ params: { title: 'Two' } }));
  t.not(a.sha256, b.sha256);
});

test('limits on width, height and pixels are permanent errors that name the limit', (t) => {
  const wide = t.throws(() => prepare({ width: limits.maxWidth + 1 }), { instanceOf: RenderLimitExceeded });
  t.regex(wide.message, /width must be between 16 and 4096, received 4097/);
  t.throws(() => prepare({ height: 8 }), {
    instanceOf: RenderLimitExceeded,
    message: /height must be between 16/,
  });
  t.throws(() => prepare({ width: 4096, height: 4096 }), {
    instanceOf: RenderLimitExceeded,
    message: /pixels/,
  });
  t.is(classifyError(wide).kind, 'permanent');
  t.is(classifyError(wide).code, 'RENDER_LIMIT_EXCEEDED');
});

test('an unknown template is permanent; the fault-injection template exists only once its test plugin is loaded', async (t) => {
  const unknown = t.throws(() => prepare({ template: 'poster' }), { instanceOf: UnknownTemplate });
  t.is(classifyError(unknown).code, 'TEMPLATE_UNKNOWN');
  t.throws(() => prepare({ template: 'test-transient-fault', params: {} }), { instanceOf: UnknownTemplate });
  // Only this test looks at that template, so registering it here changes no other test's outcome.
  await import('../plugins/faultInjection.ts');
  const spec = prepare({ template: 'test-transient-fault', params: { failAttempts: 2 } });
  t.is(spec.template, 'test-transient-fault');
  t.is((await renderImage(spec)).contentType, 'image/png');
});

test('bad parameters are rejected together, each named', (t) => {
  const error = t.throws(
    () => prepare({ params: { title: '', accent: 'blue', layout: 'diagonal', colour: '#fff' } }),
    { instanceOf: InvalidTemplateParams },
  );
  t.deepEqual(error.problems, [
    'title must have at least 1 non-blank characters',
    'accent must be a hex colour such as #1e293b or #fff, received "blue"',
    'layout must be one of left, center, split, received "diagonal"',
    'colour is not a parameter of this template',
  ]);
  t.is(classifyError(error).kind, 'permanent');
  t.throws(() => prepare({ template: 'fractal', params: { iterations: limits.maxFractalIterations + 1 } }), {
    instanceOf: InvalidTemplateParams,
    message: /iterations must be between 1 and 20000/,
  });
  t.throws(() => prepare({ params: { title: 'x'.repeat(121) } }), { message: /at most 120 characters/ });
});

test('text the bundled fonts cannot draw is refused rather than drawn with whatever the host has', (t) => {
  const error = t.throws(() => prepare({ params: { title: 'Hello 世界' } }), {
    instanceOf: InvalidTemplateParams,
  });
  t.regex(error.message, /U\+4E16, U\+754C/);
  t.throws(() => prepare({ params: { title: 'tab\there' } }), { message: /U\+0009/ });
});
