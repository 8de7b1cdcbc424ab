import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ObservedRequest {
  /** Guessed from the request: X-Amz-Target prefix, form Action, else S3. */
  service: 'sqs' | 'dynamodb' | 'sns' | 's3';
  /** `SendMessage`, `PutItem`, ... for JSON/query protocols; `PUT`, `GET`, `HEAD`, ... for S3. */
  operation: string;
  method: string;
  path: string;
  /** S3 only (path-style): the bucket and key addressed. */
  bucket?: string;
  key?: string;
  /** The status returned to the client, or undefined while in flight. */
  status?: number;
  /** True when a fault rule answered instead of the emulator. */
  injected: boolean;
  at: number;
}

export type RequestFilter =
  | Partial<Pick<ObservedRequest, 'service' | 'operation' | 'method' | 'bucket' | 'key' | 'injected'>>
  | ((request: ObservedRequest) => boolean);

export interface FaultRule {
  match: RequestFilter;
  /** Answer with this status (e.g. 500, 503) instead of forwarding. */
  status?: number;
  /** Wait this long first (then answer `status`, or forward when no status is given). */
  delayMs?: number;
  /** Apply to the first `times` matching requests only; default every one. */
  times?: number;
}

export interface FaultHandle {
  /** How many requests this rule has affected so far. */
  readonly hits: number;
  remove(): void;
}

export interface RequestCounter {
  /** Point a client or a service's `AWS_ENDPOINT_URL_*` here. */
  endpoint: string;
  count(filter?: RequestFilter): number;
  requests(filter?: RequestFilter): ObservedRequest[];
  addFault(rule: FaultRule): FaultHandle;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an emulator endpoint that records every request by operation and can
 * inject faults (5xx, latency) for chosen requests: how tests prove "exactly one PUT per job" or
 * "a 503 from S3 is retried".
 */
export async function startRequestCounter({ target }: { target: string }): Promise<RequestCounter> {
  const targetUrl = new URL(target);
  const observed: ObservedRequest[] = [];
  const faults = new Set<{ rule: FaultRule; hits: number }>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`request counter could not forward: ${String(err)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const record = classify(req.method ?? 'GET', req.url ?? '/', req.headers, body);
    observed.push(record);
    const fault = [...faults].find(
      (f) => (f.rule.times === undefined || f.hits < f.rule.times) && matches(record, f.rule.match),
    );
    if (fault !== undefined) {
      fault.hits++;
      if (fault.rule.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.rule.delayMs));
      if (fault.rule.status !== undefined) {
        record.injected = true;
        record.status = fault.rule.status;
        sendFault(res, record, fault.rule.status);
        return;
      }
    }
    await forward(req, res, body, record);
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, record: ObservedRequest) {
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
          record.status = upstreamRes.statusCode;
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  const select = (filter?: RequestFilter) =>
    filter === undefined ? observed : observed.filter((r) => matches(r, filter));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    count: (filter) => select(filter).length,
    requests: (filter) => select(filter).map((r) => ({ ...r })),
    addFault(rule) {
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
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function classify(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): ObservedRequest {
  const base = { method, path: url.split('?')[0] ?? url, injected: false, at: Date.now() };
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
