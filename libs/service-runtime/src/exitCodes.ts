/**
 * How a service process ends, for Kubernetes (restartPolicy), the supervisor of `npm start` and
 * the tests. 78 and 70 are sysexits.h's EX_CONFIG and EX_SOFTWARE; 130 is the shell's 128 + SIGINT.
 */
export const EXIT_CODES = {
  /** A stop on SIGTERM/SIGINT that drained (also during start-up). */
  ok: 0,
  /** Start-up failed (a dependency refused us), or a stop failed or passed its deadline. */
  failure: 1,
  /** An uncaught exception or unhandled rejection that is not caused by client input: a bug. */
  bug: 70,
  /** Invalid configuration; stderr names every bad variable. */
  config: 78,
  /** A second signal while draining: the operator insisted, exit at once. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
