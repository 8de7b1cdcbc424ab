/**
 * SIGTERM/SIGINT for the whole process, installed before anything slow.
 *
 * Node's default action for SIGTERM is to die by the signal. A pod deleted while it starts (a
 * rollout, a scale-down) gets SIGTERM at any moment of start-up: while Node loads the OTel SDK, the
 * AWS SDK or the canvas binary, while the service reads its queue's RedrivePolicy. So the first
 * preload (`--import @platform/service-runtime/register`) installs these handlers before it loads
 * anything else, and the service bootstrap later *claims* them:
 *
 * - unclaimed (start-up has not begun to open anything): exit 0 at once, nothing to drain;
 * - claimed: the bootstrap's handler runs (stop what started, drain, exit 0).
 *
 * A listener that some other code adds (a CLI or the dev supervisor run with the same preload)
 * takes precedence over the unclaimed default, so this module never makes a process exit that
 * handles its own signals. Dependency-free on purpose: it must load in microseconds.
 */

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

type SignalHandler = (signal: ShutdownSignal) => void;

interface SignalState {
  claimedBy: SignalHandler | undefined;
  /** Listeners known not to handle shutdown themselves (ours, telemetry's flush-and-exit fallback). */
  known: Set<NodeJS.SignalsListener>;
  /** True while the preload loads the telemetry preload, whose listener is not yet in `known`. */
  preloading: boolean;
  /** For tests; default process.exit. */
  exit: (code: number) => void;
}

// On globalThis: the preload and the service may load this file through different specifiers.
const STATE = Symbol.for('@platform/service-runtime.signals');
type Holder = { [STATE]?: SignalState };

function state(): SignalState {
  const holder = globalThis as Holder;
  holder[STATE] ??= {
    claimedBy: undefined,
    known: new Set(),
    preloading: false,
    exit: (code) => process.exit(code),
  };
  return holder[STATE];
}

function onSignal(signal: ShutdownSignal): void {
  const current = state();
  if (current.claimedBy !== undefined) {
    current.claimedBy(signal);
    return;
  }
  const others = process.listeners(signal).filter((listener) => !current.known.has(listener));
  if (!current.preloading && others.length > 0) return; // someone else handles shutdown
  // Nothing opened yet: no work, no connection, no lease. Ending now is a clean stop.
  process.stderr.write(
    `${JSON.stringify({ level: 'info', signal, msg: 'signal during start-up; exiting' })}\n`,
  );
  current.exit(0);
}

/** Idempotent: installs the early handlers once per process. */
export function installEarlySignalHandlers(): void {
  const current = state();
  for (const signal of SHUTDOWN_SIGNALS) {
    if (process.listeners(signal).some((listener) => current.known.has(listener))) continue;
    const listener = () => onSignal(signal);
    current.known.add(listener);
    process.on(signal, listener);
  }
}

/**
 * Runs the telemetry preload's import; the listeners it adds (its flush-and-exit fallback, which
 * steps aside whenever another listener exists) are marked as not handling shutdown.
 */
export async function loadPreload(load: () => Promise<unknown>): Promise<void> {
  const current = state();
  current.preloading = true;
  try {
    await load();
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) {
      for (const listener of process.listeners(signal)) current.known.add(listener);
    }
    current.preloading = false;
  }
}

/** The bootstrap takes over SIGTERM/SIGINT; returns a function that gives them back. */
export function claimSignals(handler: SignalHandler): () => void {
  installEarlySignalHandlers();
  const current = state();
  current.claimedBy = handler;
  return () => {
    if (current.claimedBy === handler) current.claimedBy = undefined;
  };
}

/** Tests only: replace process.exit for the unclaimed default. */
export function setSignalExitForTests(exit: (code: number) => void): void {
  state().exit = exit;
}
