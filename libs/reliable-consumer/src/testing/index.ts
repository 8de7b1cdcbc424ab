export { OutcomeSpy } from './OutcomeSpy.ts';
export type { OutcomeMatch, OutcomeSpyOptions } from './OutcomeSpy.ts';
