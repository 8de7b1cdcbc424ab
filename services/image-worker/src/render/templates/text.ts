import type { SKRSContext2D } from '@napi-rs/canvas';
import { FONT_FAMILY } from '../fonts.ts';

export interface FittedText {
  lines: string[];
  fontSize: number;
  lineHeight: number;
  /** Total height of the block: lines x lineHeight. */
  height: number;
}

export function setFont(ctx: SKRSContext2D, weight: 400 | 700, size: number): void {
  ctx.font = `${weight} ${size}px ${FONT_FAMILY}`;
}

/**
 * Fits `text` into at most `maxLines` lines of `maxWidth`, shrinking the font from `startSize`
 * towards `minSize` (10% a step); at the minimum size the last line is cut with an ellipsis.
 */
export function fitText(
  ctx: SKRSContext2D,
  text: string,
  options: { maxWidth: number; maxLines: number; startSize: number; minSize: number; weight: 400 | 700 },
): FittedText {
  let size = Math.max(options.startSize, options.minSize);
  for (;;) {
    setFont(ctx, options.weight, size);
    const lines = wrap(ctx, text, options.maxWidth);
    const atMinimum = size * 0.9 < options.minSize;
    if (lines.length <= options.maxLines || atMinimum) {
      const kept =
        lines.length <= options.maxLines ? lines : truncate(ctx, lines, options.maxLines, options.maxWidth);
      const lineHeight = Math.round(size * 1.2);
      return { lines: kept, fontSize: size, lineHeight, height: kept.length * lineHeight };
    }
    size = Math.floor(size * 0.9);
  }
}

/** Greedy word wrap; a word wider than the line is broken between characters. */
function wrap(ctx: SKRSContext2D, text: string, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (ctx.measureText(candidate).width <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    for (const char of word) {
      if (line !== '' && ctx.measureText(line + char).width > maxWidth) {
        lines.push(line);
        line = '';
      }
      line += char;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function truncate(ctx: SKRSContext2D, lines: string[], maxLines: number, maxWidth: number): string[] {
  const kept = lines.slice(0, maxLines);
  let last = `${kept[maxLines - 1] ?? ''}…`;
  while (last.length > 1 && ctx.measureText(last).width > maxWidth)
    last = `${[...last].slice(0, -2).join('')}…`;
  kept[maxLines - 1] = last;
  return kept;
}
