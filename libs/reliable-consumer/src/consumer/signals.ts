import type { ConsumerLogger, ReliableConsumer } from './types.ts';

export interface SignalHandlerOptions {
  logger: ConsumerLogger;
  /** Called after the consumer stopped (flush metrics, close the health server); then exit(0). */
  onExit?: () => Promise<void>;
  /** For tests; default process.exit. */
  exit?: (code: number) => void;
}

/**
 * SIGTERM (Kubernetes) and SIGINT (Ctrl-C): stop polling, drain or release in-flight work, exit 0.
 * A second signal while draining exits at once with 130: the operator insisted.
 */
export function installSignalHandlers(consumer: ReliableConsumer, options: SignalHandlerOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'second signal during shutdown; exiting now');
      exit(130);
      return;
    }
    shuttingDown = true;
    options.logger.info({ signal }, 'signal received; shutting down');
    void (async () => {
      let code = 0;
      try {
        await consumer.stop();
        await options.onExit?.();
      } catch (error) {
        options.logger.error({ err: error }, 'shutdown failed');
        code = 1;
      }
      exit(code);
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
