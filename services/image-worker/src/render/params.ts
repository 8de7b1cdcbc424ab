import { InvalidTemplateParams } from '../errors.ts';
import { unsupportedCharacters } from './fonts.ts';

/** Template parameters as the contract allows them: a flat map of strings, numbers and booleans. */
export type RawParams = Readonly<Record<string, string | number | boolean>>;

const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/**
 * Reads one template's parameters, collecting every problem so a rejected job names all of them
 * at once (the DLQ reason is the only feedback a producer gets).
 */
export class ParamReader {
  readonly #template: string;
  readonly #raw: RawParams;
  readonly #known: Set<string>;
  readonly #problems: string[] = [];

  constructor(template: string, raw: RawParams, known: readonly string[]) {
    this.#template = template;
    this.#raw = raw;
    this.#known = new Set(known);
  }

  text(name: string, options: { minLength?: number; maxLength: number; fallback?: string }): string {
    const value = this.#raw[name] ?? options.fallback;
    if (value === undefined) {
      this.#problems.push(`${name} is required`);
      return '';
    }
    if (typeof value !== 'string') return this.#fail(name, 'must be a string', value, '');
    const trimmed = value.trim();
    // Length in code points, as a person counts characters.
    const length = [...trimmed].length;
    if (length < (options.minLength ?? 0)) {
      return this.#fail(name, `must have at least ${options.minLength} non-blank characters`, undefined, '');
    }
    if (length > options.maxLength) {
      return this.#fail(
        name,
        `must be at most ${options.maxLength} characters (has ${length})`,
        undefined,
        '',
      );
    }
    const unsupported = unsupportedCharacters(trimmed);
    if (unsupported.length > 0) {
      // The bundled fonts do not cover these; drawing them would fall back to whatever fonts the host
      // has, and the same job would render differently on another machine.
      const shown = unsupported.map(
        (c) => `U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`,
      );
      return this.#fail(
        name,
        `has characters the bundled fonts do not cover: ${shown.join(', ')}`,
        undefined,
        '',
      );
    }
    return trimmed;
  }

  colour(name: string, fallback: string): string {
    const value = this.#raw[name] ?? fallback;
    if (typeof value !== 'string' || !HEX_COLOUR.test(value)) {
      return this.#fail(name, 'must be a hex colour such as #1e293b or #fff', value, fallback);
    }
    return normaliseHex(value);
  }

  number(name: string, options: { min: number; max: number; fallback: number; integer?: boolean }): number {
    const value = this.#raw[name] ?? options.fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.#fail(name, 'must be a finite number', value, options.fallback);
    }
    if (options.integer === true && !Number.isInteger(value)) {
      return this.#fail(name, 'must be an integer', value, options.fallback);
    }
    if (value < options.min || value > options.max) {
      return this.#fail(name, `must be between ${options.min} and ${options.max}`, value, options.fallback);
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.#raw[name] ?? fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return this.#fail(name, `must be one of ${allowed.join(', ')}`, value, fallback);
    }
    return value as T;
  }

  /** Throws one InvalidTemplateParams naming every problem, including parameters the template does not know. */
  done(): void {
    const unknown = Object.keys(this.#raw).filter((name) => !this.#known.has(name));
    for (const name of unknown) this.#problems.push(`${name} is not a parameter of this template`);
    if (this.#problems.length > 0) throw new InvalidTemplateParams(this.#template, this.#problems);
  }

  #fail<T>(name: string, rule: string, received: unknown, fallback: T): T {
    this.#problems.push(
      received === undefined ? `${name} ${rule}` : `${name} ${rule}, received ${JSON.stringify(received)}`,
    );
    return fallback;
  }
}

/** `#abc` -> `#aabbcc`, lower case: one spelling per colour keeps specs (and their hashes) canonical. */
export function normaliseHex(value: string): string {
  const hex = value.slice(1).toLowerCase();
  return hex.length === 3 ? `#${[...hex].map((c) => c + c).join('')}` : `#${hex}`;
}

/** `#rrggbb` -> [r, g, b]; only called on colours the reader normalised. */
export function hexToRgb(value: string): [number, number, number] {
  const n = Number.parseInt(value.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
