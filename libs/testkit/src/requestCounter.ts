import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seededRandom.ts';

export interface ObservedRequest {
  /** Guessed from the request: X-Amz-Target prefix, form Action, else S3. */
  service: 'sqs' | 'dynamodb' | 'sns' | 's3';
  /** `SendMessage`, `PutItem`, ... for JSON/query protocols; `PUT`, `GET`, `HEAD`, ... for S3. */
  operation: string;
  method: string;
  path: string;
  /** The query string without `?`, when there is one. */
  query?: string;
  /** S3 only (path-style): the bucket and key addressed. */
  bucket?: string;
  key?: string;
  /** The status the emulator (or a fault rule, or the If-None-Match check) answered; undefined while in flight. */
  status?: number;
  /** True when a fault rule answered instead of the emulator (a 5xx, or a drop before forwarding). */
  injected: boolean;
  /** Set when a drop rule cut the connection: before forwarding (no effect) or after it (effect, no answer). */
  dropped?: 'before-forward' | 'after-forward';
  /** True when the proxy itself refused an S3 `If-None-Match: *` PUT with 412 (the key existed). */
  preconditionFailed?: boolean;
  /** True when the proxy refused a presigned S3 request with 403 because its signature had expired. */
  expired?: boolean;
  /** The endpoint's label (see `RequestCounter.openEndpoint`): which client sent it. */
  client: string;
  /** The SDK's attempt number from `amz-sdk-request` (1 = first try, 2+ = the SDK's own retries). */
  attempt?: number;
  /** The request body as text, kept only for requests matching the counter's `keepBodies` filter. */
  body?: string;
  /** When the request's headers arrived (epoch ms). */
  at: number;
  /** When the emulator's answer was complete (epoch ms); set only for forwarded requests. */
  answeredAt?: number;
}

export type RequestFilter =
  | Partial<
      Pick<ObservedRequest, 'service' | 'operation' | 'method' | 'bucket' | 'key' | 'injected' | 'client'>
    >
  | ((request: ObservedRequest) => boolean);

export interface FaultRule {
  match: RequestFilter;
  /** Answer with this status (e.g. 500, 503) instead of forwarding. */
  status?: number;
  /**
   * Cut the client's connection without an answer. `after-forward` first lets the emulator apply the
   * request and read its whole answer: the "response lost after the request took effect" fault.
   * `before-forward` drops it unseen. Not combinable with `status`.
   */
  drop?: 'before-forward' | 'after-forward';
  /** Wait this long first (then answer `status`, drop, or forward). */
  delayMs?: number;
  /** With `delayMs`, wait a uniformly random time in [delayMs, maxDelayMs] (the counter's seeded random). */
  maxDelayMs?: number;
  /** Apply to each matching request with this probability (0..1, the counter's seeded random); default 1. */
  probability?: number;
  /** Apply to the first `times` affected requests only; default every one. */
  times?: number;
}

export interface FaultHandle {
  /** How many requests this rule has affected so far. */
  readonly hits: number;
  remove(): void;
}

export interface RequestCounterOptions {
  /** The emulator's endpoint. */
  target: string;
  /** Seed of the random that decides `probability` and `maxDelayMs` rules: same seed, same faults. */
  seed?: number;
  /**
   * Refuse an S3 PUT sent with `If-None-Match: *` with 412 PreconditionFailed when the key exists, as
   * real S3 does (fauxqs 2.4 ignores the header). The existence check and the forward are serialised
   * per key, so of two concurrent conditional PUTs only one can pass, on every endpoint of this counter.
   */
  enforceIfNoneMatch?: boolean;
  /**
   * Refuse a presigned S3 request (query `X-Amz-Date` + `X-Amz-Expires`) that arrives after its
   * expiry with S3's 403 AccessDenied "Request has expired", as real S3 does (fauxqs 2.4 does not
   * check). Checked when the request reaches the emulator, after any injected latency.
   */
  enforceRequestExpiry?: boolean;
  /** Keep the body text of matching requests in `ObservedRequest.body` (e.g. the ledger's writes). */
  keepBodies?: RequestFilter;
  /** Label of `endpoint` in `ObservedRequest.client`; default `default`. */
  label?: string;
}

export interface RequestCounter {
  /** Point a client or a service's `AWS_ENDPOINT_URL_*` here. */
  endpoint: string;
  /**
   * Another listening endpoint of the same counter (same log, faults and If-None-Match guard) whose
   * requests carry `client: label`: one per worker process tells who sent each request, with no change
   * to the process itself.
   */
  openEndpoint(label: string): Promise<string>;
  count(filter?: RequestFilter): number;
  requests(filter?: RequestFilter): ObservedRequest[];
  /** S3 PUTs the emulator accepted (2xx), by `bucket/key`, whether or not the client saw the answer. */
  successfulPuts(): Map<string, number>;
  addFault(rule: FaultRule): FaultHandle;
  /**
   * Calls `listener` once per request when its outcome is known: answered (by the emulator, a fault
   * rule or the If-None-Match check) or dropped. A chaos run uses it to act at a precise moment,
   * e.g. pause a process right after its lease was granted. Returns the unsubscribe function.
   */
  onSettled(listener: (request: ObservedRequest) => void): () => void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an emulator endpoint that records every request by operation and can
 * inject faults for chosen requests (5xx, latency, a connection cut before or after the request took
 * effect), each always or with a seeded probability: how tests prove "exactly one PUT per job" or
 * "a 503 from S3 is retried". It can also hold the emulator to S3's `If-None-Match` semantics.
 */
export async function startRequestCounter(options: RequestCounterOptions): Promise<RequestCounter> {
  const targetUrl = new URL(options.target);
  const random = seededRandom(options.seed ?? 0x5eed);
  const observed: ObservedRequest[] = [];
  const faults = new Set<{ rule: FaultRule; hits: number }>();
  const servers: Server[] = [];
  // S3 If-None-Match guard: keys known to exist, and one promise chain per key so check + forward is atomic.
  const existingKeys = new Set<string>();
  const keyLocks = new Map<string, Promise<void>>();
  const successfulPuts = new Map<string, number>();
  const listeners = new Set<(request: ObservedRequest) => void>();
  const settled = (record: ObservedRequest) => {
    for (const listener of listeners) {
      try {
        listener({ ...record });
      } catch {
        // A listener's failure is the listener's business, never the proxied request's.
      }
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, client: string): Promise<void> {
    settled(await proxy(req, res, client));
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, client: string): Promise<ObservedRequest> {
    // Arrival, not end of body: a process paused mid-send must not look as if it sent later.
    const arrivedAt = Date.now();
    const body = await readBody(req);
    const record = classify(req.method ?? 'GET', req.url ?? '/', req.headers, body, client);
    record.at = arrivedAt;
    if (options.keepBodies !== undefined && matches(record, options.keepBodies))
      record.body = body.toString('utf8');
    observed.push(record);
    const fault = pickFault(record);
    const rule = fault?.rule;
    if (rule?.delayMs !== undefined) {
      const span = Math.max(0, (rule.maxDelayMs ?? rule.delayMs) - rule.delayMs);
      await new Promise((r) => setTimeout(r, rule.delayMs! + random() * span));
    }
    if (rule?.drop === 'before-forward') {
      record.injected = true;
      record.dropped = 'before-forward';
      req.socket.destroy();
      return record;
    }
    if (rule?.status !== undefined) {
      record.injected = true;
      record.status = rule.status;
      sendFault(res, record, rule.status);
      return record;
    }
    const dropAnswer = rule?.drop === 'after-forward';
    if (options.enforceRequestExpiry === true && record.service === 's3') {
      const expiredAt = presignedExpiry(record.query);
      if (expiredAt !== undefined && Date.now() > expiredAt) {
        record.expired = true;
        record.status = 403;
        if (dropAnswer) {
          record.dropped = 'after-forward';
          req.socket.destroy();
        } else sendRequestExpired(res, expiredAt);
        return record;
      }
    }
    if (options.enforceIfNoneMatch === true && isConditionalCreate(record, req.headers)) {
      await withKeyLock(`${record.bucket}/${record.key}`, async () => {
        if (await objectExists(record, req.headers)) {
          record.preconditionFailed = true;
          record.status = 412;
          if (dropAnswer) {
            record.dropped = 'after-forward';
            req.socket.destroy();
          } else sendPreconditionFailed(res, record);
          return;
        }
        await forward(req, res, body, record, dropAnswer);
      });
      return record;
    }
    await forward(req, res, body, record, dropAnswer);
    return record;
  }

  function pickFault(record: ObservedRequest) {
    for (const entry of faults) {
      const { rule } = entry;
      if (rule.times !== undefined && entry.hits >= rule.times) continue;
      if (!matches(record, rule.match)) continue;
      // Rolled only for matching rules, so adding an unrelated request does not shift the pattern much.
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      entry.hits++;
      return entry;
    }
    return undefined;
  }

  async function withKeyLock(key: string, work: () => Promise<void>): Promise<void> {
    const previous = keyLocks.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    keyLocks.set(key, settled);
    try {
      await current;
    } finally {
      if (keyLocks.get(key) === settled) keyLocks.delete(key);
    }
  }

  /** Known from a PUT through this counter, else asked of the emulator with an unsigned HEAD. */
  async function objectExists(record: ObservedRequest, headers: IncomingHttpHeaders): Promise<boolean> {
    if (existingKeys.has(`${record.bucket}/${record.key}`)) return true;
    const status = await new Promise<number>((resolve, reject) => {
      const head = httpRequest(
        {
          hostname: targetUrl.hostname,
          port: targetUrl.port,
          method: 'HEAD',
          path: record.path,
          headers: { host: headers.host ?? targetUrl.host },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      head.on('error', reject);
      head.end();
    });
    return status >= 200 && status < 300;
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    record: ObservedRequest,
    dropAnswer: boolean,
  ): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(
        {
          hostname: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          // Headers unchanged, Host included: SigV4 signs it, and emulators derive URLs from it.
          headers: req.headers,
        },
        (upstreamRes) => {
          const status = upstreamRes.statusCode ?? 502;
          record.status = status;
          const done = () => {
            record.answeredAt = Date.now();
            if (
              record.service === 's3' &&
              record.method === 'PUT' &&
              record.key !== undefined &&
              ok(status)
            ) {
              const key = `${record.bucket}/${record.key}`;
              existingKeys.add(key);
              successfulPuts.set(key, (successfulPuts.get(key) ?? 0) + 1);
            }
          };
          if (dropAnswer) {
            // Read the whole answer so the emulator has finished applying the request, then cut.
            upstreamRes.resume();
            upstreamRes.on('end', () => {
              done();
              record.dropped = 'after-forward';
              req.socket.destroy();
              resolve();
            });
          } else {
            res.writeHead(status, upstreamRes.headers);
            upstreamRes.pipe(res);
            upstreamRes.on('end', () => {
              done();
              resolve();
            });
          }
          upstreamRes.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  async function listen(label: string): Promise<string> {
    const server = createServer((req, res) => {
      void handle(req, res, label).catch((err: unknown) => {
        if (res.destroyed) return;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`request counter could not forward: ${String(err)}`);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  const endpoint = await listen(options.label ?? 'default');
  const select = (filter?: RequestFilter) =>
    filter === undefined ? observed : observed.filter((r) => matches(r, filter));
  return {
    endpoint,
    openEndpoint: listen,
    count: (filter) => select(filter).length,
    requests: (filter) => select(filter).map((r) => ({ ...r })),
    successfulPuts: () => new Map(successfulPuts),
    onSettled(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    addFault(rule) {
      if (rule.status !== undefined && rule.drop !== undefined)
        throw new Error('a fault rule either answers a status or drops the connection, not both');
      if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1))
        throw new Error(`probability must be between 0 and 1, got ${rule.probability}`);
      const entry = { rule, hits: 0 };
      faults.add(entry);
      return {
        get hits() {
          return entry.hits;
        },
        remove: () => void faults.delete(entry),
      };
    },
    reset() {
      observed.length = 0;
      faults.clear();
      successfulPuts.clear();
      existingKeys.clear();
      listeners.clear();
    },
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.closeAllConnections();
              server.close((err) => (err ? reject(err) : resolve()));
            }),
        ),
      ).then(() => undefined),
  };
}

const ok = (status: number) => status >= 200 && status < 300;

/** A single-request S3 create guarded by `If-None-Match: *` (multipart parts are not guarded). */
function isConditionalCreate(record: ObservedRequest, headers: IncomingHttpHeaders): boolean {
  return (
    record.service === 's3' &&
    record.method === 'PUT' &&
    record.key !== undefined &&
    headers['if-none-match'] === '*' &&
    // A PUT with sub-resource parameters (multipart part, tagging, acl) is not a whole-object create;
    // the SDK's own `x-id=PutObject` is only a label, and a presigned request's X-Amz-* parameters
    // are its signature.
    [...new URLSearchParams(record.query ?? '').keys()].every(
      (name) => name === 'x-id' || name.toLowerCase().startsWith('x-amz-'),
    )
  );
}

/** Epoch ms after which a presigned request is refused (`X-Amz-Date` + `X-Amz-Expires`), if it is one. */
function presignedExpiry(query: string | undefined): number | undefined {
  if (query === undefined) return undefined;
  const params = new URLSearchParams(query);
  // `20261202T101252Z` -> `2026-12-02T10:12:52Z`
  const signedAt = Date.parse(
    (params.get('X-Amz-Date') ?? '').replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    ),
  );
  const expires = Number(params.get('X-Amz-Expires') ?? Number.NaN);
  if (Number.isNaN(signedAt) || !Number.isInteger(expires)) return undefined;
  return signedAt + expires * 1000;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function attemptOf(headers: IncomingHttpHeaders): number | undefined {
  const match = /attempt=(\d+)/.exec(String(headers['amz-sdk-request'] ?? ''));
  return match === null ? undefined : Number(match[1]);
}

function classify(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  client: string,
): ObservedRequest {
  const attempt = attemptOf(headers);
  const [path = url, query] = url.split('?', 2);
  const base = {
    method,
    path,
    ...(query === undefined || query === '' ? {} : { query }),
    injected: false,
    at: Date.now(),
    client,
    ...(attempt === undefined ? {} : { attempt }),
  };
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    // e.g. `AmazonSQS.SendMessage`, `DynamoDB_20120810.PutItem`
    const [prefix = '', operation = target] = target.split('.');
    const service = prefix.startsWith('DynamoDB')
      ? 'dynamodb'
      : prefix.startsWith('AmazonSQS')
        ? 'sqs'
        : 'sns';
    return { ...base, service, operation };
  }
  const contentType = headers['content-type'] ?? '';
  if (method === 'POST' && contentType.includes('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    if (action !== null) {
      const service = /Topic|Publish|Subscri/.test(action) ? 'sns' : 'sqs';
      return { ...base, service, operation: action };
    }
  }
  // S3, path-style: /bucket/key/with/slashes
  const [, bucket, ...keyParts] = base.path.split('/');
  const key = keyParts.length > 0 ? decodeURIComponent(keyParts.join('/')) : undefined;
  return {
    ...base,
    service: 's3',
    operation: method,
    ...(bucket === undefined || bucket === '' ? {} : { bucket: decodeURIComponent(bucket) }),
    ...(key === undefined || key === '' ? {} : { key }),
  };
}

function matches(request: ObservedRequest, filter: RequestFilter): boolean {
  if (typeof filter === 'function') return filter(request);
  return (Object.keys(filter) as (keyof typeof filter)[]).every((k) => request[k] === filter[k]);
}

function sendFault(res: ServerResponse, request: ObservedRequest, status: number): void {
  const code = status === 503 ? 'ServiceUnavailable' : status === 429 ? 'Throttling' : 'InternalError';
  const message = `injected by the test's request counter (${status})`;
  if (request.service === 's3') {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
    return;
  }
  // JSON protocols (SQS, DynamoDB) read the error code from `__type`.
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${code};Receiver`,
  });
  res.end(JSON.stringify({ __type: code, message }));
}

/** S3's own answer to a presigned request past its expiry (same status, code and message). */
function sendRequestExpired(res: ServerResponse, expiredAt: number): void {
  res.writeHead(403, { 'content-type': 'application/xml' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>' +
      `<Message>Request has expired</Message><Expires>${new Date(expiredAt).toISOString()}</Expires>` +
      `<ServerTime>${new Date().toISOString()}</ServerTime><RequestId>request-counter</RequestId></Error>`,
  );
}

/** S3's own answer to a conditional create of an existing key (same code, condition and shape). */
function sendPreconditionFailed(res: ServerResponse, request: ObservedRequest): void {
  res.writeHead(412, { 'content-type': 'application/xml' });
  res.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
      '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
      `<Condition>If-None-Match</Condition><Resource>/${request.bucket}/${request.key}</Resource>` +
      '<RequestId>request-counter</RequestId></Error>',
  );
}
