// sms-sender entry: `node --import @platform/telemetry/register services/sms-sender/src/main.ts`.
// The only place production wiring happens: clients, provider, ledger, consumer, servers.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAwsClients } from '@platform/aws-resources';
import { exitOnConfigError } from '@platform/config';
import { ConfigError } from '@platform/errors';
import {
  consumerOptionsFrom,
  createLeaseLedger,
  createReliableConsumer,
  installSignalHandlers,
  readMaxReceiveCount,
  startHealthServer,
} from '@platform/reliable-consumer';
import {
  createLogger,
  createMetrics,
  readTelemetryConfig,
  shutdownTelemetry,
  type Logger,
  type TelemetryConfig,
} from '@platform/telemetry';
import { readSmsSenderConfig, type SmsProviderConfig, type SmsSenderConfig } from './config.ts';
import { createLocalOutbox, type LocalOutbox } from './providers/local/outbox.ts';
import { createOutboxServer, OUTBOX_URL_FILE, type OutboxServer } from './providers/local/outboxPage.ts';
import { createSnsProvider } from './providers/sns.ts';
import { createTwilioProvider } from './providers/twilio.ts';
import type { SmsProvider } from './providers/types.ts';
import { createTokenBucket } from './rateLimiter.ts';
import { createSendLedger } from './sendLedger.ts';
import { createSmsSender } from './smsSender.ts';
import { createStatusPublisher } from './statusPublisher.ts';

const SERVICE = 'sms-sender';

interface ProviderRuntime {
  provider: SmsProvider;
  /** The outbox page, for the local provider. */
  outboxUrl?: string;
  close(): Promise<void>;
}

/**
 * The outbox page on OUTBOX_PORT, or on a free port when that one is taken: a second `npm start`,
 * or a test beside someone's run, must not fail over a developer page. The URL actually bound is
 * logged and returned.
 */
async function listenOutboxPage(
  outbox: LocalOutbox,
  config: Extract<SmsProviderConfig, { name: 'local' }>,
  logger: Logger,
): Promise<{ page: OutboxServer; url: string }> {
  const preferred = createOutboxServer({ outbox }, { port: config.outboxPort, host: config.outboxHost });
  try {
    return { page: preferred, url: await preferred.listen() };
  } catch (error) {
    const taken = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
    if (!taken || config.outboxPort === 0) throw error;
  }
  const fallback = createOutboxServer({ outbox }, { port: 0, host: config.outboxHost });
  const url = await fallback.listen();
  logger.warn(
    { outboxPort: config.outboxPort, outboxUrl: url },
    `OUTBOX_PORT ${config.outboxPort} is taken; outbox page on ${url}`,
  );
  return { page: fallback, url };
}

async function startProvider(
  config: SmsProviderConfig,
  region: string,
  logger: Logger,
): Promise<ProviderRuntime> {
  switch (config.name) {
    case 'sns': {
      // maxAttempts 1: an SDK-internal retry would be a second SMS invisible to the ledger and the
      // rate limiter; our own retries (SQS backoff) are recorded attempt by attempt instead.
      const sns = new SNSClient({ region, maxAttempts: 1 });
      return {
        provider: createSnsProvider(
          { sns },
          { senderId: config.senderId, originationNumber: config.originationNumber },
        ),
        close: async () => sns.destroy(),
      };
    }
    case 'twilio':
      return {
        provider: createTwilioProvider(
          {},
          {
            accountSid: config.accountSid,
            authToken: config.authToken,
            baseUrl: config.baseUrl,
            ...config.sender,
          },
        ),
        close: async () => undefined,
      };
    case 'local': {
      const outbox = createLocalOutbox(
        {},
        {
          dir: config.outboxDir,
          failureRate: config.failureRate,
          magicNumbers: config.magicNumbers,
          slowMs: config.slowMs,
        },
      );
      await outbox.open();
      const { page, url: outboxUrl } = await listenOutboxPage(outbox, config, logger);
      // Where `npm start`'s dev hook (dev.ts) reads the page's real URL, which may not be the
      // port it asked for.
      await writeFile(join(config.outboxDir, OUTBOX_URL_FILE), `${outboxUrl}\n`);
      return { provider: outbox, outboxUrl, close: () => page.close() };
    }
  }
}

async function run(config: SmsSenderConfig, telemetry: TelemetryConfig, logger: Logger): Promise<void> {
  const aws = createAwsClients();
  const metrics = createMetrics(
    {
      ...(telemetry.metrics.sink === 'cloudwatch'
        ? { cloudWatch: new CloudWatchClient({ region: aws.region }) }
        : {}),
      onFlushError: (error) => logger.warn({ err: error }, 'metrics flush failed'),
    },
    {
      namespace: telemetry.metrics.namespace,
      service: SERVICE,
      sink: telemetry.metrics.sink,
      flushIntervalMs: telemetry.metrics.flushIntervalMs,
    },
  );

  const maxReceiveCount = config.maxReceiveCount ?? (await readMaxReceiveCount(aws.sqs, config.queueUrl));
  if (config.maxAttempts > maxReceiveCount) {
    throw new ConfigError([
      `SMS_MAX_ATTEMPTS: must not exceed the queue's maxReceiveCount (${maxReceiveCount}); SQS would dead-letter the message before the last attempt (received ${config.maxAttempts})`,
    ]);
  }

  const runtime = await startProvider(config.provider, aws.region, logger);
  const { provider, outboxUrl } = runtime;
  const leaseLedger = createLeaseLedger(
    { ddb: aws.documentClient },
    {
      tableName: config.table,
      keyName: 'invitationId',
      leaseDurationMs: config.leaseDurationMs,
      retentionMs: config.ledgerRetentionMs,
      ttlAttribute: 'ttl',
    },
  );
  const sender = createSmsSender(
    {
      provider,
      ledger: createSendLedger({ ledger: leaseLedger }),
      publisher: createStatusPublisher({ sqs: aws.sqs }, { queueUrl: config.inviteEventsQueueUrl }),
      // One bucket for the whole process: every concurrency slot draws from it.
      rateLimiter: createTokenBucket({}, config.rate),
      metrics,
    },
    {
      workerId: config.workerId ?? `${hostname()}-${process.pid}`,
      maxAttempts: config.maxAttempts,
      maxReceiveCount,
      providerTimeoutMs: config.providerTimeoutMs,
      onUnknownOutcome: config.onUnknownOutcome,
    },
  );
  const consumer = createReliableConsumer(
    { sqs: aws.sqs, logger },
    {
      queueUrl: config.queueUrl,
      dlqUrl: config.dlqUrl,
      name: SERVICE,
      contracts: ['sms.requested'],
      ...consumerOptionsFrom(config),
      // On the consumer's per-message logger, so its own lines (heartbeats, `message settled`) carry it too.
      logBindings: ({ payload }) => ({ invitationId: payload.invitationId }),
      handler: (ctx) => sender.handle(ctx),
      // One EMF flush per settled message: the numbers reach CloudWatch with the message, not 10 s later.
      onOutcome: () => {
        metrics.flush().catch((error: unknown) => logger.warn({ err: error }, 'metrics flush failed'));
      },
    },
  );

  let draining = false;
  const health = await startHealthServer(
    { isLive: () => true, isReady: () => !draining && consumer.isRunning() },
    { port: config.healthPort },
  );
  consumer.start();
  installSignalHandlers(consumer, {
    logger,
    onExit: async () => {
      draining = true;
      await Promise.allSettled([health.close(), runtime.close(), metrics.close()]);
      aws.destroy();
      logger.info({}, 'sms-sender stopped');
      logger.flush();
      await shutdownTelemetry();
    },
  });
  logger.info(
    {
      provider: provider.name,
      healthPort: health.port,
      outboxUrl,
      ratePerSecond: config.rate.ratePerSecond,
      concurrency: config.concurrency,
      maxAttempts: config.maxAttempts,
      maxReceiveCount,
      onUnknownOutcome: config.onUnknownOutcome,
    },
    'sms-sender started',
  );
  if (outboxUrl !== undefined) logger.info({ outboxUrl }, `SMS outbox page: ${outboxUrl}`);
}

let config: SmsSenderConfig;
let telemetry: TelemetryConfig;
try {
  config = readSmsSenderConfig();
  telemetry = readTelemetryConfig({
    ...process.env,
    OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME || SERVICE,
  });
} catch (error) {
  exitOnConfigError(error);
}
const logger = createLogger({ service: SERVICE, level: telemetry.logLevel });
run(config, telemetry, logger).catch((error: unknown) => {
  if (error instanceof ConfigError) exitOnConfigError(error);
  logger.fatal({ err: error }, 'sms-sender failed to start');
  logger.flush();
  process.exit(1);
});
