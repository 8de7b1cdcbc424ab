export {
  useIsolatedAws,
  createIsolatedAws,
  type IsolatedAws,
  type IsolatedAwsOptions,
} from './isolatedAws.ts';
export { waitFor, WaitTimeoutError, type WaitForOptions } from './waitFor.ts';
export {
  waitForItem,
  waitForObject,
  waitForQueueEmpty,
  waitForMessageCount,
  queueCounts,
  type QueueCounts,
} from './waits.ts';
export {
  runService,
  type LogLine,
  type RunningService,
  type RunServiceOptions,
  type ServiceExit,
} from './runService.ts';
export {
  startRequestCounter,
  type FaultHandle,
  type FaultRule,
  type ObservedRequest,
  type RequestCounter,
  type RequestCounterOptions,
  type RequestFilter,
} from './requestCounter.ts';
export { sharedAws, serializeSharedAws, SHARED_AWS_ENV_VAR, type SharedAws } from './sharedAws.ts';
export { seededRandom } from './seededRandom.ts';
// Re-exported from the dev/process lib (npm start uses them too) so tests keep one import.
export { spawnBoundChild, isProcessAlive, freePort } from '@platform/dev-process';
export { launchChromium, CHROMIUM_PATH } from './browser.ts';
