import { cardTemplate, type CardParams } from './card.ts';
import { faultInjectionTemplate, type FaultInjectionParams } from './faultInjection.ts';
import { fractalTemplate, type FractalParams } from './fractal.ts';
import { gradientTemplate, type GradientParams } from './gradient.ts';
import type { Template } from './types.ts';

/** Template name -> parameters after parsing; the render spec is a union over this map. */
export interface TemplateParamsByName {
  card: CardParams;
  gradient: GradientParams;
  fractal: FractalParams;
  'test-transient-fault': FaultInjectionParams;
}

export type TemplateName = keyof TemplateParamsByName;

export const TEMPLATES: { readonly [K in TemplateName]: Template<TemplateParamsByName[K]> } = {
  card: cardTemplate,
  gradient: gradientTemplate,
  fractal: fractalTemplate,
  'test-transient-fault': faultInjectionTemplate,
};

/** The templates producers may use; the fault-injection one only when a test switched it on. */
export function availableTemplates(options: { faultInjection: boolean }): TemplateName[] {
  const names: TemplateName[] = ['card', 'gradient', 'fractal'];
  return options.faultInjection ? [...names, 'test-transient-fault'] : names;
}

export { FAULT_INJECTION_TEMPLATE } from './faultInjection.ts';
export type { CardParams, FaultInjectionParams, FractalParams, GradientParams };
