export { spawnBoundChild } from './spawnBoundChild.ts';
export { isProcessAlive } from './isProcessAlive.ts';
export { freePort, isPortFree } from './ports.ts';
export type { DevContext, DevService } from './devService.ts';
