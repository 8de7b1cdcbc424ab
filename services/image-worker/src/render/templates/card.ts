import type { SKRSContext2D } from '@napi-rs/canvas';
import { ParamReader } from '../params.ts';
import { fitText, setFont } from './text.ts';
import type { Template } from './types.ts';

export const CARD_LAYOUTS = ['left', 'center', 'split'] as const;
export type CardLayout = (typeof CARD_LAYOUTS)[number];

export interface CardParams {
  title: string;
  subtitle: string;
  footer: string;
  background: string;
  foreground: string;
  accent: string;
  layout: CardLayout;
}

// Lengths a social card can show legibly at 1200x630; longer text is an authoring mistake.
const TITLE_MAX = 120;
const SUBTITLE_MAX = 240;
const FOOTER_MAX = 80;

/** A social / invitation card: a title, an optional subtitle and footer, three colours, three layouts. */
export const cardTemplate: Template<CardParams> = {
  name: 'card',
  description: 'Social or invitation card: title, subtitle, footer, colours, layout left|center|split',
  parseParams(raw) {
    const read = new ParamReader('card', raw, [
      'title',
      'subtitle',
      'footer',
      'background',
      'foreground',
      'accent',
      'layout',
    ]);
    const params: CardParams = {
      title: read.text('title', { minLength: 1, maxLength: TITLE_MAX }),
      subtitle: read.text('subtitle', { maxLength: SUBTITLE_MAX, fallback: '' }),
      footer: read.text('footer', { maxLength: FOOTER_MAX, fallback: '' }),
      background: read.colour('background', '#0f172a'),
      foreground: read.colour('foreground', '#f8fafc'),
      accent: read.colour('accent', '#6366f1'),
      layout: read.oneOf('layout', CARD_LAYOUTS, 'left'),
    };
    read.done();
    return params;
  },
  draw(ctx, size, params) {
    ctx.fillStyle = params.background;
    ctx.fillRect(0, 0, size.width, size.height);
    const unit = Math.min(size.width, size.height);
    const pad = Math.round(unit * 0.1);

    let textBox: Box;
    if (params.layout === 'split') {
      const panel = Math.round(size.width * 0.36);
      ctx.fillStyle = params.accent;
      ctx.fillRect(0, 0, panel, size.height);
      drawMonogram(ctx, params, { x: 0, y: 0, width: panel, height: size.height });
      textBox = {
        x: panel + pad,
        y: pad,
        width: size.width - panel - 2 * pad,
        height: size.height - 2 * pad,
      };
    } else if (params.layout === 'left') {
      const bar = Math.max(2, Math.round(unit * 0.025));
      ctx.fillStyle = params.accent;
      ctx.fillRect(pad, pad, bar, size.height - 2 * pad);
      const x = pad + bar + Math.round(pad * 0.6);
      textBox = { x, y: pad, width: size.width - x - pad, height: size.height - 2 * pad };
    } else {
      textBox = { x: pad, y: pad, width: size.width - 2 * pad, height: size.height - 2 * pad };
    }
    drawText(ctx, params, textBox, unit);
  },
};

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function drawText(ctx: SKRSContext2D, params: CardParams, box: Box, unit: number): void {
  const centred = params.layout === 'center';
  const title = fitText(ctx, params.title, {
    maxWidth: box.width,
    maxLines: 3,
    startSize: Math.round(unit * 0.13),
    minSize: Math.max(6, Math.round(unit * 0.05)),
    weight: 700,
  });
  const subtitle =
    params.subtitle === ''
      ? undefined
      : fitText(ctx, params.subtitle, {
          maxWidth: box.width,
          maxLines: 3,
          startSize: Math.round(unit * 0.06),
          minSize: Math.max(5, Math.round(unit * 0.035)),
          weight: 400,
        });
  const gap = subtitle === undefined ? 0 : Math.round(unit * 0.06);
  const blockHeight = title.height + gap + (subtitle?.height ?? 0);
  let y = box.y + Math.max(0, Math.round((box.height - blockHeight) / 2));

  ctx.textAlign = centred ? 'center' : 'left';
  ctx.textBaseline = 'top';
  const x = centred ? box.x + box.width / 2 : box.x;

  ctx.fillStyle = params.foreground;
  setFont(ctx, 700, title.fontSize);
  for (const line of title.lines) {
    ctx.fillText(line, x, y);
    y += title.lineHeight;
  }
  if (centred) {
    // The centre layout has no bar; a short accent rule under the title carries the colour instead.
    const rule = Math.round(unit * 0.12);
    ctx.fillStyle = params.accent;
    ctx.fillRect(
      Math.round(x - rule / 2),
      y + Math.round(gap * 0.25),
      rule,
      Math.max(2, Math.round(unit * 0.012)),
    );
  }
  if (subtitle !== undefined) {
    y += gap;
    ctx.fillStyle = params.foreground;
    ctx.globalAlpha = 0.78;
    setFont(ctx, 400, subtitle.fontSize);
    for (const line of subtitle.lines) {
      ctx.fillText(line, x, y);
      y += subtitle.lineHeight;
    }
    ctx.globalAlpha = 1;
  }
  if (params.footer !== '') {
    const footerSize = Math.max(5, Math.round(unit * 0.04));
    setFont(ctx, 700, footerSize);
    ctx.fillStyle = params.accent;
    ctx.textBaseline = 'bottom';
    ctx.fillText(params.footer, x, box.y + box.height);
  }
}

/** The split layout's panel shows the title's first letter large, in the background colour. */
function drawMonogram(ctx: SKRSContext2D, params: CardParams, panel: Box): void {
  const letter = [...params.title][0]?.toUpperCase() ?? '';
  if (letter === '') return;
  setFont(ctx, 700, Math.round(Math.min(panel.width, panel.height) * 0.55));
  ctx.fillStyle = params.background;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(letter, panel.x + panel.width / 2, panel.y + panel.height / 2);
}
