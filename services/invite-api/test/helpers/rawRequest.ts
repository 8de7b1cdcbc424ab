import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request fetch() will not send: chunked bodies without Content-Length, any Content-Type, bodies
 * written in pieces. Resolves with the response however the server ends it.
 */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: (string | Buffer)[] },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${options.path}`,
      { method: options.method, headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}
