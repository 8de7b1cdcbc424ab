export {
  ATTRIBUTE_NAMES,
  DEAD_LETTER_ATTRIBUTE_NAMES,
  ENVELOPE_ATTRIBUTE_NAMES,
  TRACE_ATTRIBUTE_NAMES,
  JSON_CONTENT_TYPE,
  MAX_OWN_ATTRIBUTES,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  SQS_MAX_MESSAGE_BYTES,
} from './constants.ts';
export { ContractViolation } from './errors.ts';
export type { ContractViolationReason, ContractErrorDetail, ContractViolationOptions } from './errors.ts';
export {
  CONTRACTS,
  CONTRACT_NAMES,
  LATEST_VERSION,
  isContractName,
  isSupportedVersion,
  listContractVersions,
} from './registry.ts';
export type {
  ContractName,
  ContractVersion,
  ContractPayload,
  ContractPayloads,
  ContractSchema,
  ContractEntry,
  ContractVersionEntry,
  LatestVersion,
  ImageJobRequested,
  ImageJobCompleted,
  ImageJobFailed,
  SmsRequested,
  SmsStatus,
  SmsOptOut,
} from './registry.ts';
export type {
  ImageJobRequestedV1,
  ImageJobCompletedV1,
  ImageJobFailedV1,
  ImageJobFailureReason,
  SmsRequestedV1,
  SmsStatusV1,
  SmsOptoutV1,
  SmsStatusError,
  SmsTemplateParams,
} from './generated/types.ts';
export {
  IMAGE_JOB_REQUESTED_V1_EXAMPLES,
  IMAGE_JOB_COMPLETED_V1_EXAMPLES,
  IMAGE_JOB_FAILED_V1_EXAMPLES,
  SMS_REQUESTED_V1_EXAMPLES,
  SMS_STATUS_V1_EXAMPLES,
  SMS_OPTOUT_V1_EXAMPLES,
} from './generated/examples.ts';
export { compileAllValidators, validatePayload } from './validation.ts';
export type { ValidationResult } from './validation.ts';
export { encodeMessage } from './encode.ts';
export type { EncodeOptions, EncodedMessage } from './encode.ts';
export { decodeMessage } from './decode.ts';
export type { DecodedMessage, DecodedMessageOf } from './decode.ts';
export { deadLetterAttributes, deadLetterReasonOf } from './deadLetter.ts';
export type { DeadLetterProvenance, DeadLetterReason } from './deadLetter.ts';
export { sqsMessageSizeBytes } from './size.ts';
export {
  asciiJson,
  labelSqsRefusedCharacters,
  removeSqsRefusedCharacters,
  sqsRefusedCharacter,
} from './sqsText.ts';
