// How a test or the chaos run starts the real worker entry point with the fault-injection template:
// NODE_OPTIONS reaches the process and its render threads alike. Importing this module registers
// nothing itself (only the preload does).
export const FAULT_INJECTION_PRELOAD = new URL('./faultInjection.ts', import.meta.url).href;

/** Environment for a worker process that must know `test-transient-fault`. */
export const FAULT_INJECTION_ENV = { NODE_OPTIONS: `--import=${FAULT_INJECTION_PRELOAD}` } as const;
