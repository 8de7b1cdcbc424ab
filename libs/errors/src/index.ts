export { PlatformError, PermanentError, TransientError, ConfigError } from './errors.ts';
export type { PlatformErrorOptions } from './errors.ts';
export { classifyError, isTransient } from './classify.ts';
export type { Classification, FailureKind } from './classify.ts';
