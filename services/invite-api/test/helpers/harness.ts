import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, createMetrics, type Metrics } from '@platform/telemetry';
import { createIsolatedAws, type IsolatedAws } from '@platform/testkit';
import type { ExecutionContext } from 'ava';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { readInviteApiConfig, type InviteApiConfig } from '../../src/config.ts';
import type { InviteCodeGenerator } from '../../src/domain/inviteCode.ts';
import { createInviteApi, type InviteApi } from '../../src/inviteApi.ts';
import type { SubmitImageJob } from '../../src/shareCards/ShareCardRequester.ts';

export interface HarnessOptions {
  /** Extra environment for readInviteApiConfig (limits, countries, ...). */
  env?: Record<string, string>;
  clock?: () => number;
  newInviteCode?: InviteCodeGenerator;
  /** Replace the SQS client (e.g. a fault-injecting one). */
  sqs?: (aws: IsolatedAws) => SQSClient;
  /** Replace the DynamoDB document client (e.g. one that injects TransactionConflict). */
  documentClient?: (aws: IsolatedAws) => DynamoDBDocumentClient;
  /** Start the invite-events consumer (off by default: most tests drive the API only). */
  startConsumer?: boolean;
  /** Start the outbox relay loop (off by default: tests call runOnce()). */
  startRelay?: boolean;
  /** Turn share cards on (off by default), optionally with a replacement submit (e.g. a failing one). */
  shareCards?: { submit?: SubmitImageJob };
}

export interface Harness {
  aws: IsolatedAws;
  api: InviteApi;
  config: InviteApiConfig;
  baseUrl: string;
  /** JSON lines the service logged. */
  logs: Record<string, unknown>[];
  /** Counts per metric (and per Reason for InvitationsRejected), after flushing. */
  metricTotals(): Promise<Record<string, number>>;
  token(sub: string, options?: { name?: string }): Promise<string>;
  /** fetch against the app with a Bearer token for `sub` unless `auth: false`. */
  request(path: string, init?: RequestInit & { as?: string; json?: unknown }): Promise<Response>;
  /** Stops the server, relay and consumer and removes the queues and tables. */
  stop(): Promise<void>;
}

/** Environment every test's service config starts from (all limits generous unless a test narrows them). */
export function baseTestEnv(aws: IsolatedAws): Record<string, string> {
  return {
    ...aws.env,
    JWT_SECRET: LOCAL_DEV_JWT.secret,
    REFERRAL_BASE_URL: 'https://app.example',
    ALLOWED_COUNTRIES: 'US,CA,GB',
    IP_RATE_LIMIT: '100000',
    GLOBAL_SMS_PER_HOUR: '100000',
    OUTBOX_GRACE_MS: '0',
    INVITE_EVENTS_WAIT_SECONDS: '1',
    LOG_LEVEL: 'info',
    METRICS_SINK: 'none',
  };
}

/** A harness stopped when the test ends. */
export async function useHarness(t: ExecutionContext, options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness(options);
  t.teardown(() => harness.stop());
  return harness;
}

/**
 * The whole service in this process (createInviteApi, the same wiring main.ts uses) against isolated
 * queues and tables on the shared emulators, served on a free port. For `test.before` (one per file);
 * the caller stops it.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const aws = await createIsolatedAws({ queues: { inviteEvents: { visibilityTimeoutSeconds: 2 } } });
  const config = readInviteApiConfig({ ...baseTestEnv(aws), ...options.env });

  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({ service: 'invite-api', level: 'info', destination });
  const emf: string[] = [];
  const metrics: Metrics = createMetrics(
    { write: (line) => emf.push(line) },
    { namespace: 'Test', service: 'invite-api', flushIntervalMs: 0 },
  );
  const api = createInviteApi(
    {
      documentClient: options.documentClient?.(aws) ?? aws.clients.documentClient,
      sqs: options.sqs?.(aws) ?? aws.clients.sqs,
      logger,
      metrics,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.newInviteCode === undefined ? {} : { newInviteCode: options.newInviteCode }),
      ...(options.shareCards === undefined
        ? {}
        : {
            s3: aws.clients.s3,
            ...(options.shareCards.submit === undefined ? {} : { submitImageJob: options.shareCards.submit }),
          }),
    },
    config,
  );
  const server: Server = createServer(api.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (options.startConsumer === true) api.consumer.start();
  if (options.startRelay === true) api.relay.start();
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // As main.ts does: the batch still pending after the last response goes out before the queues go.
    await Promise.all([api.publisher.drain(), api.relay.stop(), api.consumer.stop({ timeoutMs: 2000 })]);
    await metrics.close();
    await aws.cleanup();
  };

  const token = (sub: string, tokenOptions: { name?: string } = {}) =>
    mintToken({
      sub,
      name: tokenOptions.name ?? `User ${sub}`,
      secret: LOCAL_DEV_JWT.secret,
      issuer: LOCAL_DEV_JWT.issuer,
      audience: LOCAL_DEV_JWT.audience,
      ttlSeconds: 3600,
      ...(options.clock === undefined ? {} : { now: options.clock() }),
    });

  return {
    aws,
    api,
    config,
    baseUrl,
    logs,
    async metricTotals() {
      await metrics.flush();
      return sumEmf(emf);
    },
    token,
    async request(path, init = {}) {
      const { as, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as !== undefined) headers.set('authorization', `Bearer ${await token(as)}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${baseUrl}${path}`, {
        ...rest,
        headers,
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
    stop,
  };
}

/** `InvitationsCreated` and `InvitationsRejected:RATE_LIMITED_USER` style keys. */
export function sumEmf(lines: readonly string[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of lines) {
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    };
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const { Name } of directive.Metrics) {
        const raw = doc[Name];
        const value = Array.isArray(raw) ? (raw as number[]).reduce((a, b) => a + b, 0) : Number(raw);
        const key = typeof doc.Reason === 'string' ? `${Name}:${doc.Reason}` : Name;
        totals[key] = (totals[key] ?? 0) + value;
      }
    }
  }
  return totals;
}
