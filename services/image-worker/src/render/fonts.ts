import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GlobalFonts } from '@napi-rs/canvas';

/**
 * Fonts come from the `@fontsource/inter` npm package, never from the host: @napi-rs/canvas ships no
 * fonts and would otherwise fall back to whatever the OS has (DejaVu on these machines, nothing in a
 * distroless image), and the same job would render differently on another host.
 *
 * Skia reads the package's WOFF2 files directly (checked: `registerFromPath` returns a key and the
 * glyph advances change). Each unicode-range subset is a separate file; registered under one alias,
 * Skia picks the subset that has the glyph.
 */
export const FONT_FAMILY = 'InterBundled';

const SUBSETS = [
  'latin',
  'latin-ext',
  'cyrillic',
  'cyrillic-ext',
  'greek',
  'greek-ext',
  'vietnamese',
] as const;
const WEIGHTS = [400, 700] as const;

// The package exports only `./LICENSE` and CSS paths; its font files sit beside LICENSE.
const packageDir = new URL('./', import.meta.resolve('@fontsource/inter/LICENSE'));

let registered = false;

/** Registers the bundled fonts once per thread (GlobalFonts is per process, registering twice is harmless). */
export function registerBundledFonts(): void {
  if (registered) return;
  for (const subset of SUBSETS) {
    for (const weight of WEIGHTS) {
      const file = fileURLToPath(new URL(`files/inter-${subset}-${weight}-normal.woff2`, packageDir));
      if (GlobalFonts.registerFromPath(file, FONT_FAMILY) === null) {
        throw new Error(`could not register bundled font ${file}`);
      }
    }
  }
  registered = true;
}

type Range = readonly [number, number];

/** The code points the registered subsets cover, from the package's own `unicode.json`. */
const coveredRanges: readonly Range[] = (() => {
  const table = JSON.parse(readFileSync(new URL('unicode.json', packageDir), 'utf8')) as Record<
    string,
    string
  >;
  const ranges: Range[] = [];
  for (const subset of SUBSETS) {
    const spec = table[subset];
    if (spec === undefined) throw new Error(`@fontsource/inter has no unicode range for subset ${subset}`);
    for (const part of spec.split(',')) {
      const [from = '', to = from] = part.trim().replace(/^U\+/, '').split('-');
      ranges.push([Number.parseInt(from, 16), Number.parseInt(to, 16)]);
    }
  }
  return ranges;
})();

/** Distinct characters of `text` the bundled fonts cannot draw, plus control characters. */
export function unsupportedCharacters(text: string): string[] {
  const bad = new Set<string>();
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const control = code < 0x20 || (code >= 0x7f && code < 0xa0);
    if (control || !coveredRanges.some(([from, to]) => code >= from && code <= to)) bad.add(char);
  }
  return [...bad];
}
