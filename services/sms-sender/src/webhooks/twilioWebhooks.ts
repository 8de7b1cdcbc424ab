import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import twilio from 'twilio';
import type { ConsentRecorder } from '../optout/consentRecorder.ts';
import type { ReceiptRecorder } from '../receipts/receiptRecorder.ts';
import { receiptFromTwilioCallback } from '../receipts/twilioStatus.ts';

export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';
export const TWILIO_INBOUND_PATH = '/webhooks/twilio/inbound';

// Twilio's webhook requests are a few hundred bytes of form fields; anything near this is not Twilio.
const MAX_BODY_BYTES = 64 * 1024;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface TwilioWebhookDeps {
  receipts: ReceiptRecorder;
  consent: ConsentRecorder;
  logger: ConsumerLogger;
  clock?: () => number;
}

export interface TwilioWebhookOptions {
  accountSid: string;
  /** Never logged: the HMAC key of X-Twilio-Signature. */
  authToken: string;
  /**
   * The public origin Twilio calls (e.g. https://sms.example.com), exactly as configured in
   * StatusCallback / the number's messaging webhook: the signature covers the full URL, so a proxy
   * or an Ingress that changes scheme or host must not be "corrected" here.
   */
  publicBaseUrl: string;
  port: number;
  /** Default 0.0.0.0: Twilio reaches it through the Ingress. */
  host?: string;
}

export interface TwilioWebhookServer {
  /** Resolves with the bound URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: string, type = 'application/json'): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  response.end(body);
}

const problem = (response: ServerResponse, status: number, code: string, message: string) =>
  send(response, status, JSON.stringify({ error: { code, message } }));

/** Twilio Advanced Opt-Out tells us its own verdict; HELP and absent mean "read the body". */
function providerAction(optOutType: string | undefined): 'opt-out' | 'opt-in' | undefined {
  if (optOutType === 'STOP') return 'opt-out';
  if (optOutType === 'START') return 'opt-in';
  return undefined;
}

/**
 * Twilio's webhooks, on their own port (the health port stays cluster-internal):
 * - `POST /webhooks/twilio/status`: the StatusCallback of every message we send -> `sms.status`.
 * - `POST /webhooks/twilio/inbound`: the number's incoming-message webhook -> STOP/START.
 * Every request is authenticated with the official `twilio` package's `validateRequest` (HMAC-SHA1
 * over the URL and the sorted form fields, keyed by the auth token) BEFORE anything is read or
 * written: a missing or wrong signature is 403 and changes nothing. A receipt for an unknown message
 * is 204 (logged, dropped) so Twilio never retries it; only our own outage is a 503.
 */
export function createTwilioWebhookServer(
  deps: TwilioWebhookDeps,
  options: TwilioWebhookOptions,
): TwilioWebhookServer {
  const { receipts, consent, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const base = options.publicBaseUrl.replace(/\/+$/, '');

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://internal');
    if (url.pathname !== TWILIO_STATUS_PATH && url.pathname !== TWILIO_INBOUND_PATH) {
      return problem(response, 404, 'NOT_FOUND', 'no such webhook');
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      return problem(response, 405, 'METHOD_NOT_ALLOWED', 'webhooks take POST');
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return problem(response, 415, 'UNSUPPORTED_MEDIA_TYPE', 'expected application/x-www-form-urlencoded');
    }
    const body = await readBody(request);
    const params = Object.fromEntries(new URLSearchParams(body));
    const signature = request.headers['x-twilio-signature'];
    const valid =
      typeof signature === 'string' &&
      signature.length > 0 &&
      twilio.validateRequest(options.authToken, signature, `${base}${request.url ?? ''}`, params) &&
      params.AccountSid === options.accountSid;
    if (!valid) {
      logger.warn({ path: url.pathname }, 'twilio webhook with a missing or invalid signature; refused');
      return problem(response, 403, 'INVALID_SIGNATURE', 'X-Twilio-Signature does not match this request');
    }
    const now = new Date(clock()).toISOString();

    if (url.pathname === TWILIO_STATUS_PATH) {
      const receipt = receiptFromTwilioCallback(params, now);
      if (receipt === undefined) {
        logger.info(
          { messageStatus: params.MessageStatus ?? params.SmsStatus },
          'twilio status before the handset; ignored',
        );
      } else {
        await receipts.record(receipt);
      }
      response.writeHead(204).end();
      return;
    }
    await consent.handleInbound({
      source: 'twilio',
      from: params.From ?? '',
      body: params.Body ?? '',
      receivedAt: now,
      inboundMessageId: params.MessageSid,
      providerAction: providerAction(params.OptOutType),
    });
    // An empty TwiML answer: Twilio's own opt-out handling sends the carrier-required confirmation.
    send(response, 200, EMPTY_TWIML, 'text/xml');
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpProblem) return problem(response, error.status, error.code, error.message);
      logger.error({ err: error }, 'twilio webhook failed');
      response.setHeader('retry-after', '5');
      problem(response, 503, 'SERVICE_UNAVAILABLE', 'try again later');
    });
  });
  // Malformed HTTP framing gets a 400 and the connection closes; the process carries on.
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host ?? '0.0.0.0', () => {
          server.off('error', reject);
          const { address, port } = server.address() as AddressInfo;
          const host = address.includes(':') ? `[${address}]` : address;
          resolve(`http://${host}:${port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
