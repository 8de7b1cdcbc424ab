// sms-sender entry: `node --import @platform/service-runtime/register services/sms-sender/src/main.ts`.
// The only place production wiring happens: clients, provider, ledger, consumer, servers. Config,
// logger, metrics, health, signals and exit codes come from the service bootstrap.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { ConfigError } from '@platform/errors';
import {
  consumerOptionsFrom,
  createLeaseLedger,
  createReliableConsumer,
  readMaxReceiveCount,
} from '@platform/reliable-consumer';
import { startService } from '@platform/service-runtime';
import type { Logger } from '@platform/telemetry';
import { readSmsSenderConfig, type SmsProviderConfig } from './config.ts';
import { createLocalOutbox, type LocalOutbox } from './providers/local/outbox.ts';
import { createOutboxServer, OUTBOX_URL_FILE, type OutboxServer } from './providers/local/outboxPage.ts';
import { createSnsProvider } from './providers/sns.ts';
import { createTwilioProvider } from './providers/twilio.ts';
import type { SmsProvider } from './providers/types.ts';
import { createTokenBucket } from './tokenBucket.ts';
import { createReceiptHandling, twilioStatusCallbackUrl } from './receipts/receiptHandling.ts';
import { createSendLedger } from './sendLedger.ts';
import { createSmsSender } from './smsSender.ts';
import { createStatusPublisher } from './statusPublisher.ts';

const SERVICE = 'sms-sender';

interface ProviderRuntime {
  provider: SmsProvider;
  /** The outbox page, for the local provider. */
  outboxUrl?: string;
  /** The local provider, whose simulated delivery receipts go to the receipt recorder. */
  outbox?: LocalOutbox;
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
  const preferred = createOutboxServer(
    { outbox, logger },
    { port: config.outboxPort, host: config.outboxHost },
  );
  try {
    return { page: preferred, url: await preferred.listen() };
  } catch (error) {
    const taken = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
    if (!taken || config.outboxPort === 0) throw error;
  }
  const fallback = createOutboxServer({ outbox, logger }, { port: 0, host: config.outboxHost });
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
            statusCallbackUrl: twilioStatusCallbackUrl(config),
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
          receiptDelayMs: config.receiptDelayMs,
        },
      );
      await outbox.open();
      const { page, url: outboxUrl } = await listenOutboxPage(outbox, config, logger);
      // Where `npm start`'s dev hook (dev.ts) reads the page's real URL, which may not be the
      // port it asked for.
      await writeFile(join(config.outboxDir, OUTBOX_URL_FILE), `${outboxUrl}\n`);
      return { provider: outbox, outboxUrl, outbox, close: () => page.close() };
    }
  }
}

await startService({
  name: SERVICE,
  readConfig: readSmsSenderConfig,
  shutdownTimeoutMs: (config) => config.shutdownGraceMs,
  healthPort: (config) => config.healthPort,
  async start({ config, logger, metrics, aws, signal, onStop, healthPort }) {
    const maxReceiveCount =
      config.maxReceiveCount ??
      (await readMaxReceiveCount(aws.sqs, config.queueUrl, { abortSignal: signal }));
    if (config.maxAttempts > maxReceiveCount) {
      throw new ConfigError([
        `SMS_MAX_ATTEMPTS: must not exceed the queue's maxReceiveCount (${maxReceiveCount}); SQS would dead-letter the message before the last attempt (received ${config.maxAttempts})`,
      ]);
    }

    const runtime = await startProvider(config.provider, aws.region, logger);
    onStop(() => runtime.close());
    const { outboxUrl } = runtime;
    // Receipts and STOP/START (receipts/receiptHandling.ts): the provider is guarded by the opt-out list.
    const receiptHandling = createReceiptHandling({ sqs: aws.sqs, ddb: aws.documentClient, logger }, config);
    onStop(() => receiptHandling.close());
    const provider = receiptHandling.guard(runtime.provider);
    if (runtime.outbox !== undefined) receiptHandling.listenTo(runtime.outbox);
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
        onOutcome: () => void metrics.flush(),
      },
    );
    const receiptSources = await receiptHandling.start();
    consumer.start();
    logger.info(
      {
        provider: provider.name,
        healthPort,
        outboxUrl,
        ratePerSecond: config.rate.ratePerSecond,
        concurrency: config.concurrency,
        maxAttempts: config.maxAttempts,
        maxReceiveCount,
        onUnknownOutcome: config.onUnknownOutcome,
        ...receiptSources,
      },
      'sms-sender started',
    );
    if (outboxUrl !== undefined) logger.info({ outboxUrl }, `SMS outbox page: ${outboxUrl}`);
    return {
      isReady: () => consumer.isRunning(),
      async stop() {
        await consumer.stop();
      },
    };
  },
});
