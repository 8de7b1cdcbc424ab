import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAwsClients, type AwsClients } from '@platform/aws-resources';
import { ConfigError } from '@platform/errors';
import {
  createLogger,
  createMetrics,
  readTelemetryConfig,
  shutdownTelemetry,
  type Logger,
  type Metrics,
  type TelemetryConfig,
} from '@platform/telemetry';
import { pino } from 'pino';
import { isClientInputError } from './crashPolicy.ts';
import { EXIT_CODES, type ExitCode } from './exitCodes.ts';
import { startHealthServer, type HealthServer } from './health/startHealthServer.ts';
import { claimSignals, type ShutdownSignal } from './signals/processSignals.ts';

/** What a service hands the bootstrap once it runs. */
export interface StartedService {
  /** Readiness (for /readyz or the service's own probe): taking work now. */
  isReady(): boolean;
  /** Stops taking work and drains or releases what is in flight (within the service's own grace). */
  stop(): Promise<void>;
}

/** What the bootstrap built for the service: everything read and created once, here. */
export interface ServiceRuntime<C> {
  config: C;
  telemetry: TelemetryConfig;
  logger: Logger;
  /** Flushes never reject: a failed metrics flush is logged, it never fails a unit of work. */
  metrics: Metrics;
  aws: AwsClients;
  /** The port /healthz and /readyz are served on, when the definition has a healthPort. */
  healthPort: number | undefined;
  /** Aborted as soon as a stop is requested; pass it to every slow start-up call. */
  signal: AbortSignal;
  /** Cleanup run at stop after the service's own stop(), last registered first (servers, providers). */
  onStop: (close: () => Promise<void> | void) => void;
  /** True once a stop was requested (readiness turns false at once). */
  readonly stopping: boolean;
}

export interface ServiceDefinition<C> {
  /** The service name: OTEL_SERVICE_NAME default and `service` on every log line. */
  name: string;
  /** Reads and checks the service's own environment; throws one ConfigError naming every bad variable. */
  readConfig(env: NodeJS.ProcessEnv): C;
  /** How long a stop may take before the process exits anyway (the drain grace plus cleanup). */
  shutdownTimeoutMs(config: C): number;
  /** Serve /healthz and /readyz on this port (consumers); none when the service serves its own. */
  healthPort?(config: C): number;
  /**
   * Synchronous stdout: a blocking write per line on the event loop. Default false, which keeps the
   * lines that explain a crash all the same: pino's asynchronous destination (one write in flight,
   * what queues behind it batched into the next) is written out synchronously by every `fatal` line
   * (pino does that itself: an uncaught bug, a failed start-up), before every exit the bootstrap makes
   * (finish below) and on any other process exit (pino's exit hook). Only a SIGKILL or a native crash
   * can lose lines then: those still queued, milliseconds' worth.
   */
  syncLogs?: boolean;
  start(runtime: ServiceRuntime<C>): Promise<StartedService>;
}

// After the service's own drain: close servers and clients, flush metrics and spans.
const CLEANUP_MARGIN_MS = 5_000;

/**
 * The one process bootstrap of every service's main.ts, in this order:
 * 1. claim SIGTERM/SIGINT (installed by the preload before anything slow; see processSignals.ts)
 *    and install the uncaught-error policy (crashPolicy.ts);
 * 2. read the service's and the telemetry's configuration once; every bad variable is printed and
 *    the process exits 78;
 * 3. logger, metrics (with a CloudWatch client when METRICS_SINK=cloudwatch), AWS clients;
 * 4. the health server, not ready until start() resolved;
 * 5. start(); a signal at any moment aborts `runtime.signal`, stops what started, exits 0.
 * Exit codes: EXIT_CODES.
 */
export async function startService<C>(definition: ServiceDefinition<C>): Promise<void> {
  let requestStop: (code: ExitCode, reason: string) => void = (code) => process.exit(code);
  claimSignals((signal: ShutdownSignal) => requestStop(EXIT_CODES.ok, signal));
  // Until the logger exists, an uncaught error is written as a plain JSON line on stderr.
  const crash: { log?: Pick<Logger, 'fatal' | 'warn'> } = {};
  process.on('uncaughtException', (error, origin) => onUncaught(error, origin));
  process.on('unhandledRejection', (reason) => onUncaught(reason, 'unhandledRejection'));
  function onUncaught(error: unknown, origin: string): void {
    if (isClientInputError(error)) {
      crash.log?.warn({ err: error, origin }, 'error caused by a client connection; still running');
      return;
    }
    if (crash.log === undefined)
      process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    else crash.log.fatal({ err: error, origin }, 'uncaught error: a bug; stopping');
    requestStop(EXIT_CODES.bug, origin);
  }

  const env = { ...process.env, OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME || definition.name };
  const problems: string[] = [];
  let config: C | undefined;
  let telemetry: TelemetryConfig | undefined;
  try {
    config = definition.readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  try {
    telemetry = readTelemetryConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (config === undefined || telemetry === undefined) {
    process.stderr.write(`${new ConfigError(problems).message}\n`);
    process.exit(EXIT_CODES.config);
  }

  const destination = pino.destination({ dest: 1, sync: definition.syncLogs ?? false });
  const logger = createLogger({ service: definition.name, level: telemetry.logLevel, destination });
  crash.log = logger;
  logger.debug({ uptimeMs: Math.round(process.uptime() * 1000) }, 'configuration read');
  const aws = createAwsClients(process.env);
  const onFlushError = (error: unknown) => logger.warn({ err: error }, 'metrics flush failed');
  const metrics = neverRejecting(
    createMetrics(
      {
        ...(telemetry.metrics.sink === 'cloudwatch'
          ? { cloudWatch: new CloudWatchClient({ region: aws.region }) }
          : {}),
        onFlushError,
      },
      {
        namespace: telemetry.metrics.namespace,
        service: definition.name,
        sink: telemetry.metrics.sink,
        flushIntervalMs: telemetry.metrics.flushIntervalMs,
      },
    ),
    onFlushError,
  );

  const abort = new AbortController();
  const closers: (() => Promise<void> | void)[] = [];
  let started: StartedService | undefined;
  let stopping = false;
  let health: HealthServer | undefined;
  let startup: Promise<StartedService | undefined> = Promise.resolve(undefined);

  const runtime: ServiceRuntime<C> = {
    config,
    telemetry,
    logger,
    metrics,
    aws,
    healthPort: undefined,
    signal: abort.signal,
    onStop: (close) => void closers.push(close),
    get stopping() {
      return stopping;
    },
  };

  async function stop(code: ExitCode, reason: string): Promise<never> {
    logger.info({ reason }, 'shutting down');
    abort.abort(new Error(`stopping: ${reason}`));
    const deadline = setTimeout(
      () => {
        logger.error({ reason }, 'shutdown deadline passed; exiting without a full drain');
        finish(code === EXIT_CODES.ok ? EXIT_CODES.failure : code);
      },
      definition.shutdownTimeoutMs(config as C) + CLEANUP_MARGIN_MS,
    );
    let failed = false;
    const attempt = async (what: string, close: () => Promise<void> | void) => {
      try {
        await close();
      } catch (error) {
        failed = true;
        logger.error({ err: error }, `shutdown: ${what} failed`);
      }
    };
    // A start-up still in progress is aborted by the signal; whatever it started is stopped.
    const service = await startup.catch(() => undefined);
    if (service !== undefined) await attempt('service stop', () => service.stop());
    for (const close of closers.reverse()) await attempt('cleanup', close);
    if (health !== undefined) await attempt('health server', () => health?.close());
    await attempt('metrics', () => metrics.close());
    aws.destroy();
    await attempt('telemetry', () => shutdownTelemetry());
    clearTimeout(deadline);
    logger.info(
      { reason, exitCode: failed && code === EXIT_CODES.ok ? 1 : code },
      `${definition.name} stopped`,
    );
    return finish(failed && code === EXIT_CODES.ok ? EXIT_CODES.failure : code);
  }

  function finish(code: ExitCode): never {
    try {
      // The last lines (why we stop) must reach stdout before exit, also from the async buffer.
      destination.flushSync();
    } catch {
      // Not open yet (nothing written) or stdout is gone: nothing more to save.
    }
    process.exit(code);
  }

  requestStop = (code, reason) => {
    if (stopping) {
      if (code === EXIT_CODES.ok) {
        logger.warn({ reason }, 'second signal during shutdown; exiting now');
        finish(EXIT_CODES.interrupted);
      }
      return;
    }
    stopping = true;
    void stop(code, reason);
  };

  try {
    const port = definition.healthPort?.(config);
    if (port !== undefined) {
      health = await startHealthServer(
        {
          isLive: () => true,
          isReady: () => !stopping && started !== undefined && started.isReady(),
          logger,
        },
        { port },
      );
      runtime.healthPort = health.port;
    }
    if (stopping) return; // a signal while the health port opened: stop() takes it from here
    logger.debug(
      { uptimeMs: Math.round(process.uptime() * 1000), healthPort: runtime.healthPort },
      'starting',
    );
    startup = definition.start(runtime);
    started = await startup;
  } catch (error) {
    if (stopping) return; // the start-up was aborted by the stop in progress
    stopping = true;
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      logger.fatal({ problems: error.problems }, `${definition.name}: invalid configuration`);
      await stop(EXIT_CODES.config, 'invalid configuration');
    }
    logger.fatal({ err: error }, `${definition.name} failed to start`);
    await stop(EXIT_CODES.failure, 'start-up failed');
  }
}

/** The flush policy in one place: metrics are best effort, a failed flush is logged, never thrown. */
function neverRejecting(metrics: Metrics, onError: (error: unknown) => void): Metrics {
  return {
    count: (...args) => metrics.count(...args),
    record: (...args) => metrics.record(...args),
    flush: () => metrics.flush().catch(onError),
    close: () => metrics.close().catch(onError),
  };
}
