import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { submitImageJob } from '@platform/image-jobs';
import type { ReliableConsumer } from '@platform/reliable-consumer';
import type { Logger } from '@platform/telemetry';
import { createApp } from './app.ts';
import { createJwtAuthenticator, type Authenticator } from './auth/jwtAuthenticator.ts';
import type { InviteApiConfig } from './config.ts';
import { createInviteCodeGenerator, type InviteCodeGenerator } from './domain/inviteCode.ts';
import { createSmsOptOutApplier } from './events/applySmsOptOut.ts';
import { createSmsStatusApplier } from './events/applySmsStatus.ts';
import { createInviteEventsConsumer } from './events/inviteEventsConsumer.ts';
import type { AppState } from './http/types.ts';
import { createOutboxPublisher, type OutboxPublisher } from './outbox/OutboxPublisher.ts';
import { createOutboxRelay, type OutboxRelay } from './outbox/OutboxRelay.ts';
import { DEMO_USER } from './routes/localSignIn.ts';
import type { CheckState, ReadinessReport } from './routes/operations.ts';
import type { PageSettings } from './web/pages.ts';
import { createInvitationService, type InvitationService } from './service/InvitationService.ts';
import type { MetricsPort } from './service/ports.ts';
import {
  createShareCardRequester,
  type ShareCardRequester,
  type SubmitImageJob,
} from './shareCards/ShareCardRequester.ts';
import { createShareCardStore, type ShareCardStore } from './shareCards/ShareCardStore.ts';
import { createConsentStore } from './store/ConsentStore.ts';
import { createInvitationStore, type InvitationStore } from './store/InvitationStore.ts';
import { createIpRateLimiter } from './store/IpRateLimiter.ts';
import { createOutboxStore, type OutboxStore } from './store/OutboxStore.ts';

export interface InviteApiDeps {
  documentClient: DynamoDBDocumentClient;
  sqs: SQSClient;
  logger: Logger;
  metrics: MetricsPort;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  newInvitationId?: () => string;
  newInviteCode?: InviteCodeGenerator;
  random?: () => number;
  /** Default: JWT verification from config.jwt. */
  authenticator?: Authenticator;
  /** Reads share cards; share cards are on when config.shareCards is set and this is given. */
  s3?: Pick<S3Client, 'send'>;
  /** Default: @platform/image-jobs' submitImageJob on config.shareCards' queue and table. */
  submitImageJob?: SubmitImageJob;
}

/** Every part of the running service, built from injected clients; main.ts starts and stops them. */
export interface InviteApi {
  app: Koa<AppState>;
  invitations: InvitationService;
  store: InvitationStore;
  outbox: OutboxStore;
  /** The request path's sends (after the response); drain() them at shutdown. */
  publisher: OutboxPublisher;
  relay: OutboxRelay;
  consumer: ReliableConsumer;
  /** Undefined when share cards are off. */
  shareCards: { requester: ShareCardRequester; store: ShareCardStore } | undefined;
  /** Readiness turns false at once; the rest of shutdown is main.ts's. */
  beginShutdown(): void;
}

const READINESS_TIMEOUT_MS = 1000;

function pageSettings(config: InviteApiConfig): PageSettings {
  return {
    authMode: config.authMode,
    demoUserName: DEMO_USER.name,
    publicBaseUrl: config.referralBaseUrl,
    dailyLimit: config.limits.perUserPerDay,
    maxResends: config.resend.max,
    resendCooldownSeconds: config.resend.cooldownMs / 1000,
    defaultCountry: config.defaultCountry,
    inviteTtlDays: Math.round(config.inviteTtlMs / 86_400_000),
    welcomePoints: config.rewards.welcomePoints,
  };
}

export function createInviteApi(deps: InviteApiDeps, config: InviteApiConfig): InviteApi {
  const { documentClient: client, sqs, logger, metrics } = deps;
  const clock = deps.clock ?? Date.now;
  const table = config.table;
  let shuttingDown = false;

  const store = createInvitationStore({ client }, { table });
  const outbox = createOutboxStore({ client }, { table });
  const publisher = createOutboxPublisher(
    { sqs, outbox, logger, metrics, clock },
    {
      queueUrl: config.smsRequestsQueueUrl,
      sendTimeoutMs: config.outbox.sendTimeoutMs,
      lingerMs: config.outbox.sendLingerMs,
    },
  );
  const relay = createOutboxRelay(
    { outbox, publisher, logger, clock },
    {
      intervalMs: config.outbox.relayIntervalMs,
      batchSize: 25,
      backoff: { baseMs: Math.max(1000, config.outbox.relayIntervalMs), maxMs: 5 * 60_000 },
    },
  );
  const shareCards = createShareCards(deps, config);
  const invitations = createInvitationService(
    {
      store,
      publisher,
      metrics,
      logger,
      clock,
      newInvitationId: deps.newInvitationId ?? (() => `inv-${randomUUID()}`),
      newInviteCode: deps.newInviteCode ?? createInviteCodeGenerator(),
      ...(shareCards === undefined ? {} : { shareCards: shareCards.requester }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
    },
    {
      limits: config.limits,
      phonePolicy: { allowedCountries: config.allowedCountries },
      referralBaseUrl: config.referralBaseUrl,
      outboxGraceMs: config.outbox.graceMs,
      idempotencyRetentionMs: 24 * 3_600_000,
      maxWriteAttempts: 6,
      inviteTtlMs: config.inviteTtlMs,
      resend: config.resend,
      rewards: config.rewards,
      defaultCountry: config.defaultCountry,
    },
  );
  const consumer = createInviteEventsConsumer(
    {
      sqs,
      logger,
      apply: createSmsStatusApplier({ store, metrics, logger, clock }),
      applyOptOut: createSmsOptOutApplier({
        consent: createConsentStore({ client }, { table }),
        logger,
        clock,
      }),
    },
    {
      queueUrl: config.inviteEventsQueueUrl,
      dlqUrl: config.inviteEventsDlqUrl,
      ...config.inviteEvents,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
  );

  async function readiness(): Promise<ReadinessReport> {
    if (shuttingDown) return { ready: false, checks: { shutdown: 'shutting-down' } };
    let dynamodb: CheckState = 'ok';
    try {
      await store.ping(AbortSignal.timeout(READINESS_TIMEOUT_MS));
    } catch (error) {
      logger.warn({ err: error }, 'readiness: DynamoDB unreachable');
      dynamodb = 'failed';
    }
    return { ready: dynamodb === 'ok', checks: { dynamodb } };
  }

  const app = createApp(
    {
      invitations,
      authenticator: deps.authenticator ?? createJwtAuthenticator(config.jwt, { clock }),
      ipLimiter: createIpRateLimiter({ client, clock }, { table, ...config.ipLimit }),
      ...(shareCards === undefined ? {} : { shareCards: shareCards.store }),
      metrics,
      logger,
      readiness,
      clock,
    },
    {
      bodyLimitBytes: config.bodyLimitBytes,
      trustedProxyHops: config.trustedProxyHops,
      pages: pageSettings(config),
      ...(config.authMode === 'local' && config.jwt.key.kind === 'secret'
        ? {
            localSignIn: {
              secret: config.jwt.key.secret,
              issuer: config.jwt.issuer,
              audience: config.jwt.audience,
            },
          }
        : {}),
    },
  );

  return {
    app,
    invitations,
    store,
    outbox,
    publisher,
    relay,
    consumer,
    shareCards,
    beginShutdown() {
      shuttingDown = true;
    },
  };
}

/** Share cards: a requester (submit on create) and a store (the landing page's reads). */
function createShareCards(
  deps: InviteApiDeps,
  config: InviteApiConfig,
): { requester: ShareCardRequester; store: ShareCardStore } | undefined {
  const cards = config.shareCards;
  if (cards === undefined || deps.s3 === undefined) return undefined;
  const clock = deps.clock ?? Date.now;
  // Put + SendMessage + Update: bounded so a hung image-jobs dependency cannot pile up submits.
  const submitTimeoutMs = 3 * config.outbox.sendTimeoutMs;
  const submit: SubmitImageJob =
    deps.submitImageJob ??
    ((job) =>
      submitImageJob({ ddb: deps.documentClient, sqs: deps.sqs, clock }, job, {
        queueUrl: cards.queueUrl,
        tableName: cards.tableName,
        signal: AbortSignal.timeout(submitTimeoutMs),
      }));
  return {
    requester: createShareCardRequester({ submit, logger: deps.logger, metrics: deps.metrics, clock }),
    store: createShareCardStore(
      { ddb: deps.documentClient, s3: deps.s3 },
      { tableName: cards.tableName, bucket: cards.bucket },
    ),
  };
}
