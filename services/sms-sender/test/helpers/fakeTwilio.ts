// A FAKE of Twilio's Messages API on loopback: Twilio's HTTP API is a boundary nothing here
// emulates. It accepts every message (201 with a fresh SM sid) and records the form it was sent,
// so a test can read the StatusCallback and play Twilio's part of the webhook conversation.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface FakeTwilioMessage {
  sid: string;
  form: Record<string, string>;
}

export async function startFakeTwilio(
  t: ExecutionContext,
): Promise<{ baseUrl: string; messages: FakeTwilioMessage[] }> {
  const messages: FakeTwilioMessage[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !/\/Messages\.json$/.test(request.url ?? '')) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"code":20404}');
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const sid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ sid, form });
      response
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sid, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, messages };
}
