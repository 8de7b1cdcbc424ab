import { connect } from 'node:net';

export interface RawExchange {
  /** Every status code the server answered on this connection, in order. */
  statuses: number[];
  /** The whole response text (headers and bodies). */
  text: string;
  /** The body of the last response (after its blank line). */
  lastBody: string;
}

/**
 * Writes `raw` bytes on a fresh TCP connection and reads until the server closes it (or `timeoutMs`
 * passes: a deadline, not a wait). fetch() and node:http refuse to send broken framing, so
 * malformed requests go through node:net.
 */
export function sendRaw(port: number, raw: string | Buffer, timeoutMs = 60_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(new Error(`no close within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it refused while we still write; what it sent before counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((match) => Number(match[1]));
      const lastHead = text.lastIndexOf('HTTP/1.1 ');
      const separator = text.indexOf('\r\n\r\n', lastHead);
      resolve({ statuses, text, lastBody: separator === -1 ? '' : text.slice(separator + 4) });
    });
    socket.write(raw);
  });
}

/**
 * The malformed requests that once killed invite-api (issue 9), for any path. `beforeTheApp`: the
 * parser refuses them before any route sees a request (broken request line or headers).
 */
export function malformedRequests(
  path: string,
): Record<string, { raw: string; status: number; beforeTheApp: boolean }> {
  const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n`;
  return {
    'chunk size zz': {
      raw: `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      status: 400,
      beforeTheApp: false,
    },
    'LF-only line endings': {
      raw: `POST ${path} HTTP/1.1\nHost: localhost\nContent-Type: application/json\nTransfer-Encoding: chunked\n\n2\n{}\n0\n\n`,
      status: 400,
      beforeTheApp: true,
    },
    'a bad byte in a chunk extension': {
      raw: `${head}Transfer-Encoding: chunked\r\n\r\n2;\x01ext\r\n{}\r\n0\r\n\r\n`,
      status: 400,
      beforeTheApp: false,
    },
    'more data than the chunk size': {
      raw: `${head}Transfer-Encoding: chunked\r\n\r\n2\r\n{"phoneNumber":"+14155552671"}\r\n0\r\n\r\n`,
      status: 400,
      beforeTheApp: false,
    },
    'a Content-Length smaller than the body': {
      raw: `${head}Content-Length: 2\r\n\r\n{"phoneNumber":"+14155552671"}`,
      status: 400,
      beforeTheApp: false,
    },
    'a 100 KiB Authorization header': {
      raw: `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'a'.repeat(100 * 1024)}\r\n\r\n`,
      status: 431,
      beforeTheApp: true,
    },
  };
}
