import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from '@platform/service-runtime';
import type { Logger } from '@platform/telemetry';
import type { LocalOutbox, OutboxMessage, OutboxRejection } from './outbox.ts';

/** File in OUTBOX_DIR holding the page's URL once it listens (read by the `npm start` dev hook). */
export const OUTBOX_URL_FILE = 'outbox-page.url';

export interface OutboxServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 127.0.0.1: the page shows full phone numbers and is a developer tool, not a public page. */
  host?: string;
}

export interface OutboxServer {
  /** Resolves with the page's URL once listening. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

// A reply is a phone number and a short SMS text; anything bigger is not a reply.
const MAX_REPLY_BYTES = 2048;

/**
 * The local outbox page: `GET /` (HTML, refreshes itself from the JSON every second),
 * `GET /messages.json` (`{ messages, rejections }`, newest first) and `POST /reply`
 * (`{ from, body }` as JSON: a handset answering, e.g. STOP; JSON only, so a cross-site form
 * cannot post it without a CORS preflight this server never grants). Nothing else.
 */
export function createOutboxServer(
  deps: { outbox: LocalOutbox; logger?: Logger },
  options: OutboxServerOptions,
): OutboxServer {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/reply' && request.method === 'POST') {
      handleReply(request, response, deps.outbox);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed');
      return;
    }
    if (path === '/messages.json') {
      const body = JSON.stringify({ messages: deps.outbox.messages(), rejections: deps.outbox.rejections() });
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(body);
      return;
    }
    if (path === '/') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Only our own inline script and same-origin fetches: the page shows untrusted text.
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      response.end(renderOutboxPage(deps.outbox.messages(), deps.outbox.rejections()));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  });
  // Malformed framing gets a 400 with a body and a log line; never a crash.
  if (deps.logger !== undefined) answerClientErrors(server, { logger: deps.logger });

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          const { address, port } = server.address() as AddressInfo;
          const host = address.includes(':') ? `[${address}]` : address;
          resolve(`http://${host}:${port}/`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handleReply(request: IncomingMessage, response: ServerResponse, outbox: LocalOutbox): void {
  const answer = (status: number, body: unknown): void => {
    response
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify(body));
  };
  if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    request.resume();
    return answer(415, { error: 'expected application/json' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_REPLY_BYTES) return answer(413, { error: `at most ${MAX_REPLY_BYTES} bytes` });
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(400, { error: 'body is not JSON' });
    }
    const { from, body } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
      string,
      unknown
    >;
    if (typeof from !== 'string' || !/^\+[1-9]\d{1,14}$/.test(from) || typeof body !== 'string') {
      return answer(400, { error: 'expected { "from": "+E.164 number", "body": "text" }' });
    }
    outbox.reply(from, body).then(
      (result) => answer(200, { result }),
      () => answer(503, { error: 'could not record the reply; try again' }),
    );
  });
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function messageRows(messages: readonly OutboxMessage[]): string {
  return messages
    .map(
      (m) =>
        `<tr data-id="${escapeHtml(m.id)}"><td class="time">${escapeHtml(m.acceptedAt)}</td><td>${escapeHtml(m.to)}</td>` +
        `<td class="body">${escapeHtml(m.body)}</td><td class="key">${escapeHtml(m.idempotencyKey)}</td>` +
        `<td class="receipt">${escapeHtml(m.receipt ?? 'pending')}</td></tr>`,
    )
    .join('');
}

function rejectionRows(rejections: readonly OutboxRejection[]): string {
  return rejections
    .map(
      (r) =>
        `<tr><td class="time">${escapeHtml(r.at)}</td><td>${escapeHtml(r.to)}</td><td>${escapeHtml(r.code)}</td>` +
        `<td>${escapeHtml(r.kind)}</td><td class="key">${escapeHtml(r.idempotencyKey)}</td></tr>`,
    )
    .join('');
}

// Re-renders both tables from /messages.json with textContent (never innerHTML: SMS text is untrusted).
const REFRESH_SCRIPT = `
const cell = (tr, text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); };
async function refresh() {
  try {
    const data = await (await fetch('messages.json', { cache: 'no-store' })).json();
    const messages = document.querySelector('#messages tbody');
    messages.replaceChildren(...data.messages.map((m) => { const tr = document.createElement('tr'); tr.dataset.id = m.id;
      cell(tr, m.acceptedAt, 'time'); cell(tr, m.to); cell(tr, m.body, 'body'); cell(tr, m.idempotencyKey, 'key'); cell(tr, m.receipt || 'pending', 'receipt'); return tr; }));
    const rejections = document.querySelector('#rejections tbody');
    rejections.replaceChildren(...data.rejections.map((r) => { const tr = document.createElement('tr');
      cell(tr, r.at, 'time'); cell(tr, r.to); cell(tr, r.code); cell(tr, r.kind); cell(tr, r.idempotencyKey, 'key'); return tr; }));
    document.querySelector('#count').textContent = String(data.messages.length);
    document.body.dataset.refreshed = String(Date.now());
  } catch { /* the sender is restarting: keep the last view */ }
}
setInterval(refresh, 1000);
document.querySelector('#reply').addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = document.querySelector('#reply-result');
  try {
    const res = await fetch('reply', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: document.querySelector('#reply-from').value.trim(), body: document.querySelector('#reply-body').value }) });
    const data = await res.json();
    out.textContent = res.ok ? String(data.result) : String(data.error);
  } catch { out.textContent = 'the sender is not reachable'; }
});
`;

export function renderOutboxPage(
  messages: readonly OutboxMessage[],
  rejections: readonly OutboxRejection[],
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SMS outbox (local provider)</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td.body { white-space: pre-wrap; max-width: 40rem; }
td.time { white-space: nowrap; }
td.key { font-family: ui-monospace, monospace; }
caption { text-align: left; font-weight: 600; padding: .4rem 0; }
</style>
</head>
<body>
<h1>SMS outbox</h1>
<p>Messages the <strong>local</strong> SMS provider accepted (<span id="count">${messages.length}</span>), newest first.
Nothing here reached a phone. JSON: <a href="messages.json">messages.json</a>.</p>
<table id="messages">
<caption>Accepted</caption>
<thead><tr><th>Accepted at</th><th>To</th><th>Text</th><th>Idempotency key</th><th>Delivery receipt</th></tr></thead>
<tbody>${messageRows(messages)}</tbody>
</table>
<form id="reply">
<p>Reply as a handset (STOP opts the number out, START back in):
<label>From <input id="reply-from" type="tel" placeholder="+14155552671" required></label>
<label>Text <input id="reply-body" value="STOP" required></label>
<button type="submit">Send reply</button> <output id="reply-result" aria-live="polite"></output></p>
</form>
<table id="rejections">
<caption>Refused (injected failures)</caption>
<thead><tr><th>At</th><th>To</th><th>Code</th><th>Kind</th><th>Idempotency key</th></tr></thead>
<tbody>${rejectionRows(rejections)}</tbody>
</table>
<script>${REFRESH_SCRIPT}</script>
</body>
</html>
`;
}
