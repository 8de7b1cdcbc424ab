import type { SKRSContext2D } from '@napi-rs/canvas';
import { hexToRgb, ParamReader } from '../params.ts';
import type { Size, Template } from './types.ts';

export const GRADIENT_STYLES = ['linear', 'radial', 'stripes', 'checker', 'dots'] as const;
export type GradientStyle = (typeof GRADIENT_STYLES)[number];

export interface GradientParams {
  from: string;
  to: string;
  style: GradientStyle;
  /** Degrees, clockwise from "left to right"; used by linear and stripes. */
  angle: number;
  /** Pattern cell in pixels; used by stripes, checker and dots. */
  cell: number;
}

/** Backgrounds and patterns: a two-colour gradient (linear or radial) or a stripe, checker or dot pattern. */
export const gradientTemplate: Template<GradientParams> = {
  name: 'gradient',
  description: 'Two-colour gradient or pattern: style linear|radial|stripes|checker|dots, angle, cell',
  parseParams(raw) {
    const read = new ParamReader('gradient', raw, ['from', 'to', 'style', 'angle', 'cell']);
    const params: GradientParams = {
      from: read.colour('from', '#0ea5e9'),
      to: read.colour('to', '#a855f7'),
      style: read.oneOf('style', GRADIENT_STYLES, 'linear'),
      angle: read.number('angle', { min: 0, max: 360, fallback: 45 }),
      // Below 2 px a pattern is noise; above 1024 it is one flat colour at any allowed size.
      cell: read.number('cell', { min: 2, max: 1024, fallback: 48, integer: true }),
    };
    read.done();
    return params;
  },
  draw(ctx, size, params) {
    switch (params.style) {
      case 'linear':
        return drawLinear(ctx, size, params);
      case 'radial':
        return drawRadial(ctx, size, params);
      case 'stripes':
        return drawStripes(ctx, size, params);
      case 'checker':
        return drawChecker(ctx, size, params);
      case 'dots':
        return drawDots(ctx, size, params);
    }
  },
};

function drawLinear(ctx: SKRSContext2D, { width, height }: Size, p: GradientParams): void {
  const radians = (p.angle * Math.PI) / 180;
  // Half the length of the gradient line that just reaches the corners, as CSS linear-gradient does.
  const half = (Math.abs(width * Math.cos(radians)) + Math.abs(height * Math.sin(radians))) / 2;
  const cx = width / 2;
  const cy = height / 2;
  const dx = Math.cos(radians) * half;
  const dy = Math.sin(radians) * half;
  const gradient = ctx.createLinearGradient(cx - dx, cy - dy, cx + dx, cy + dy);
  gradient.addColorStop(0, p.from);
  gradient.addColorStop(1, p.to);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
}

function drawRadial(ctx: SKRSContext2D, { width, height }: Size, p: GradientParams): void {
  const gradient = ctx.createRadialGradient(
    width / 2,
    height / 2,
    0,
    width / 2,
    height / 2,
    Math.hypot(width, height) / 2,
  );
  gradient.addColorStop(0, p.from);
  gradient.addColorStop(1, p.to);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, width, height);
}

function drawStripes(ctx: SKRSContext2D, { width, height }: Size, p: GradientParams): void {
  ctx.fillStyle = p.from;
  ctx.fillRect(0, 0, width, height);
  const reach = Math.hypot(width, height);
  ctx.save();
  ctx.translate(width / 2, height / 2);
  ctx.rotate((p.angle * Math.PI) / 180);
  ctx.fillStyle = p.to;
  for (let x = -reach; x < reach; x += 2 * p.cell) ctx.fillRect(x, -reach, p.cell, 2 * reach);
  ctx.restore();
}

function drawChecker(ctx: SKRSContext2D, { width, height }: Size, p: GradientParams): void {
  ctx.fillStyle = p.from;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = p.to;
  for (let row = 0; row * p.cell < height; row += 1) {
    for (let col = row % 2; col * p.cell < width; col += 2)
      ctx.fillRect(col * p.cell, row * p.cell, p.cell, p.cell);
  }
}

/** A dot grid whose colour runs from `from` (top left) to `to` (bottom right) on a dark ground. */
function drawDots(ctx: SKRSContext2D, { width, height }: Size, p: GradientParams): void {
  ctx.fillStyle = '#0b1020';
  ctx.fillRect(0, 0, width, height);
  const from = hexToRgb(p.from);
  const to = hexToRgb(p.to);
  const radius = p.cell * 0.35;
  for (let y = p.cell / 2; y < height; y += p.cell) {
    for (let x = p.cell / 2; x < width; x += p.cell) {
      const t = (x / width + y / height) / 2;
      const [r, g, b] = from.map((c, i) => Math.round(c + ((to[i] ?? c) - c) * t));
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
