export { createLeaseLedger } from './ledger/createLeaseLedger.ts';
export type {
  AcquireResult,
  CallOptions,
  FailOptions,
  FieldChanges,
  Lease,
  LeaseLedger,
  LeaseLedgerDeps,
  LeaseLedgerOptions,
  LeaseRecord,
  LeaseStatus,
  LedgerError,
  ResolvedLeaseLedgerOptions,
} from './ledger/types.ts';
export type { AnnotationOutcome } from './ledger/annotationBatcher.ts';
export { LEASE_STATUSES, TERMINAL_STATUSES } from './ledger/constants.ts';
export { withLease } from './lease/withLease.ts';
export type {
  ExhaustedReason,
  HeldLease,
  LeaseContext,
  LeaseEvent,
  LeasedWorkResult,
  LeasePolicy,
  LeaseRequest,
} from './lease/types.ts';
export { createReliableConsumer } from './consumer/createReliableConsumer.ts';
export { backoffDelaySeconds } from './consumer/backoff.ts';
export type {
  BackoffOptions,
  ConsumerLogger,
  HandlerContext,
  HandlerContextBase,
  HandlerOutcome,
  MessageHandler,
  OutcomeEvent,
  PoisonMessage,
  ReliableConsumer,
  ReliableConsumerDeps,
  ReliableConsumerOptions,
  StopOptions,
} from './consumer/types.ts';
export { BatchEntryError, batchAnswerVerdicts, createLingerBatcher } from './batching/lingerBatcher.ts';
export type {
  BatchAnswer,
  EntryVerdict,
  LingerBatcher,
  LingerBatcherOptions,
} from './batching/lingerBatcher.ts';
export { putObjectOnce } from './s3/putObjectOnce.ts';
export {
  createAttemptPresigner,
  isExpiredRefusal,
  MIN_SIGNED_WINDOW_MS,
  signingWindow,
} from './s3/expiringAttempts.ts';
export type { AttemptPresigner, SigningWindow } from './s3/expiringAttempts.ts';
export type { PutObjectOnceInput, PutObjectOnceOptions, PutObjectOnceResult } from './s3/putObjectOnce.ts';
export {
  AckWithheldError,
  HandlerAbortedError,
  InvalidOptionsError,
  LeaseLostError,
  ObjectConflictError,
} from './errors.ts';
export type { LeaseLostReason } from './errors.ts';
export { readMaxReceiveCount } from './config/queueSettings.ts';
export {
  consumerConfigSpec,
  consumerOptionsFrom,
  readConsumerConfig,
  readPrefixedConsumerSettings,
} from './config/consumerConfig.ts';
export type {
  QueueConsumerDefaults,
  QueueConsumerSettings,
  ConsumerConfig,
  ConsumerConfigDefaults,
  ConsumerConfigValues,
  ConsumerTimingOptions,
} from './config/consumerConfig.ts';
