// Public surface of @platform/service-runtime: the bootstrap every service's main.ts runs, and the
// pieces it is made of. The preload is `@platform/service-runtime/register`.
export { startService } from './startService.ts';
export type { ServiceDefinition, ServiceRuntime, StartedService } from './startService.ts';
export { EXIT_CODES } from './exitCodes.ts';
export type { ExitCode } from './exitCodes.ts';
export { isClientInputError } from './crashPolicy.ts';
export { startHealthServer } from './health/startHealthServer.ts';
export type { HealthChecks, HealthServer } from './health/startHealthServer.ts';
export { answerClientErrors, refusalFor } from './http/answerClientErrors.ts';
export type { ClientErrorBody, ClientErrorRefusal } from './http/answerClientErrors.ts';
export { claimSignals, installEarlySignalHandlers, SHUTDOWN_SIGNALS } from './signals/processSignals.ts';
export type { ShutdownSignal } from './signals/processSignals.ts';
