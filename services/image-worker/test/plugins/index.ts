// How a process test or the chaos run starts the real worker entry point with the fault-injection
// template: `node --import @platform/service-runtime/register --import <FAULT_INJECTION_PRELOAD>
// src/main.ts`. After the production preload, never before it (e.g. not via NODE_OPTIONS, whose
// imports run first), so its early signal handlers still guard the whole start-up. Render threads
// load the plugin themselves (registerTemplate records its module). Importing this file registers
// nothing.
export const FAULT_INJECTION_PRELOAD = new URL('./faultInjection.ts', import.meta.url).href;
