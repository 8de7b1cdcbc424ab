import { cardTemplate, type CardParams } from './card.ts';
import { fractalTemplate, type FractalParams } from './fractal.ts';
import { gradientTemplate, type GradientParams } from './gradient.ts';
import type { Template } from './types.ts';

/** The templates that ship: production wiring registers nothing else. */
const BUILT_IN: ReadonlyMap<string, Template<unknown>> = new Map<string, Template<unknown>>([
  ['card', cardTemplate],
  ['gradient', gradientTemplate],
  ['fractal', fractalTemplate],
]);

const registered = new Map<string, { template: Template<unknown>; module: string }>();

/**
 * Adds a template to this thread. Production wiring never calls it: only a test plugin does (the
 * tests and the chaos run preload a fault-injecting one from the worker's test folder). `module` is
 * the registering module's URL (its `import.meta.url`): render threads import it at start
 * (registeredTemplateModules), so they can draw whatever the main thread accepted.
 */
export function registerTemplate<P>(template: Template<P>, module: string): void {
  if (BUILT_IN.has(template.name) || registered.has(template.name)) {
    throw new Error(`template ${template.name} is already registered`);
  }
  registered.set(template.name, { template: template, module });
}

/** The modules that registered templates in this thread, for the render threads to load too. */
export function registeredTemplateModules(): string[] {
  return [...new Set([...registered.values()].map((entry) => entry.module))];
}

/** The template of that name, or undefined: the caller decides whether that is poison. */
export function findTemplate(name: string): Template<unknown> | undefined {
  return BUILT_IN.get(name) ?? registered.get(name)?.template;
}

/** Every template a producer may use in this process, built-in ones first. */
export function availableTemplates(): string[] {
  return [...BUILT_IN.keys(), ...registered.keys()];
}

export { cardTemplate, fractalTemplate, gradientTemplate };
export type { CardParams, FractalParams, GradientParams, Template };
