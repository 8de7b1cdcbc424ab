export { createLeaseLedger } from './ledger/createLeaseLedger.ts';
export type {
  AcquireResult,
  CallOptions,
  FailOptions,
  Lease,
  LeaseLedger,
  LeaseLedgerDeps,
  LeaseLedgerOptions,
  LeaseRecord,
  LeaseStatus,
  LedgerError,
} from './ledger/types.ts';
export { createReliableConsumer } from './consumer/createReliableConsumer.ts';
export { backoffDelaySeconds } from './consumer/backoff.ts';
export type {
  BackoffOptions,
  ConsumerLogger,
  ConsumerMetrics,
  HandlerContext,
  HandlerOutcome,
  MessageHandler,
  OutcomeEvent,
  ReliableConsumer,
  ReliableConsumerDeps,
  ReliableConsumerOptions,
  StopOptions,
} from './consumer/types.ts';
export { putObjectOnce } from './s3/putObjectOnce.ts';
export type { PutObjectOnceInput, PutObjectOnceOptions, PutObjectOnceResult } from './s3/putObjectOnce.ts';
export { HandlerAbortedError, InvalidOptionsError, LeaseLostError, ObjectConflictError } from './errors.ts';
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
