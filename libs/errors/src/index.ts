export { PlatformError, PermanentError, TransientError, ConfigError } from './errors.ts';
export type { PlatformErrorOptions } from './errors.ts';
export { classifyError, classifyBatchEntryFailure } from './classify.ts';
export type { BatchEntryFailure, Classification, FailureKind } from './classify.ts';
export { sdkErrorInfo } from './sdkErrorInfo.ts';
export type { SdkErrorInfo } from './sdkErrorInfo.ts';
