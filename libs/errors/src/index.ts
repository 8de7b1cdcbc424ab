export { PlatformError, PermanentError, TransientError, ConfigError } from './errors.ts';
export type { PlatformErrorOptions } from './errors.ts';
export { classifyError } from './classify.ts';
export type { Classification, FailureKind } from './classify.ts';
export { sdkErrorInfo } from './sdkErrorInfo.ts';
export type { SdkErrorInfo } from './sdkErrorInfo.ts';
