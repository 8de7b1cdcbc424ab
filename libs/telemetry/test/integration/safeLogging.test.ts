// The logger never throws: Node's own HTTP parser errors (which carry the raw packet as a Buffer)
// and hostile objects are logged as plain data, with redaction still applied.
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../src/index.ts';
import { serializeError, toLoggable } from '../../src/logging/toLoggable.ts';

function collectingLogger() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ service: 'safe-logging-test', destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

/** The error Node's HTTP parser raises for `raw`, as a server's 'clientError' sees it. */
async function parserErrorFor(raw: string): Promise<Error & { code?: string; rawPacket?: unknown }> {
  const server = createServer((_request, response) => response.end('ok'));
  const caught = new Promise<Error>((resolve) =>
    server.on('clientError', (error, socket) => {
      socket.destroy();
      resolve(error);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.end(raw));
  socket.on('error', () => {});
  try {
    return await caught;
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const MALFORMED = {
  'chunk size zz': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  'LF-only line endings':
    'POST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nAuthorization: Bearer secret-token\n\n5\nhello\n0\n\n',
  'bad byte in a chunk extension':
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;\x01ext\r\nhello\r\n0\r\n\r\n',
  'more data than the chunk size':
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n',
};

for (const [name, raw] of Object.entries(MALFORMED)) {
  test(`a real parser error (${name}) is logged, rawPacket summarised, never its bytes`, async (t) => {
    const error = await parserErrorFor(raw);
    t.regex(String(error.code), /^HPE_/);
    const { logger, lines } = collectingLogger();

    t.notThrows(() => logger.error({ err: error }, 'client error'));
    t.notThrows(() => logger.warn(error));
    t.notThrows(() => logger.child({ err: error }).info('child bound'));

    const [first, second, third] = lines();
    t.like(first, { msg: 'client error', err: { type: 'Error', code: error.code } });
    const err = first?.err as Record<string, unknown>;
    if (error.rawPacket !== undefined) t.regex(String(err.rawPacket), /^\[Buffer \d+ bytes\]$/);
    t.like(second, { msg: error.message, err: { code: error.code } });
    t.like(third, { msg: 'child bound' });
    t.false(
      JSON.stringify(lines()).includes('secret-token'),
      'the raw bytes (with a token) never reach the log',
    );
  });
}

test('binary fields of every kind are summarised, at any depth', (t) => {
  const { logger, lines } = collectingLogger();
  logger.info(
    {
      buffer: Buffer.from('secret'),
      nested: { deeper: { bytes: new Uint8Array(7), floats: new Float64Array(2) } },
      arrayBuffer: new ArrayBuffer(3),
      view: new DataView(new ArrayBuffer(4)),
      blob: new Blob(['abc']),
    },
    'binary',
  );
  t.like(lines()[0], {
    buffer: '[Buffer 6 bytes]',
    nested: { deeper: { bytes: '[Uint8Array 7 bytes]', floats: '[Float64Array 16 bytes]' } },
    arrayBuffer: '[ArrayBuffer 3 bytes]',
    view: '[DataView 4 bytes]',
    blob: '[Blob 3 bytes]',
  });
});

test('hostile objects: throwing getters, throwing proxies, cycles, huge and odd values', (t) => {
  const { logger, lines } = collectingLogger();
  const throwing = {
    ok: 1,
    get bad(): never {
      throw new Error('getter exploded');
    },
  };
  const proxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('no keys for you');
      },
    },
  );
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  const errorWithHostileMessage = new Error('x');
  Object.defineProperty(errorWithHostileMessage, 'message', {
    get() {
      throw new Error('message getter');
    },
  });
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 50; i++) cursor = cursor.next = {};

  t.notThrows(() => logger.error(throwing, 'top-level getter'));
  t.notThrows(() => logger.error({ a: { b: throwing } }, 'nested getter'));
  t.notThrows(() => logger.error({ proxy }, 'proxy'));
  t.notThrows(() => logger.error({ cycle }, 'cycle'));
  t.notThrows(() => logger.error({ err: errorWithHostileMessage }, 'hostile error'));
  t.notThrows(() => logger.error({ deep, big: 10n, sym: Symbol('s'), fn: () => 1, nan: Number.NaN }, 'odd'));
  t.notThrows(() =>
    logger.error({ long: 'x'.repeat(100_000), many: Array.from({ length: 1000 }, (_, i) => i) }, 'huge'),
  );
  t.notThrows(() => logger.info({ ['__proto__']: { polluted: true } } as Record<string, unknown>, 'proto'));

  const [top, nested, proxied, cyclic, hostile, odd, huge, proto] = lines();
  t.like(top, { ok: 1, bad: '[Unreadable: Error: getter exploded]' });
  t.like(nested, { a: { b: { ok: 1, bad: '[Unreadable: Error: getter exploded]' } } });
  t.regex(String(proxied?.proxy), /^\[Unreadable: Error: no keys for you\]$/);
  t.like(cyclic, { cycle: { name: 'loop', self: '[Circular]' } });
  t.like(hostile, { err: { type: 'Error', message: '[Unreadable: Error: message getter]' } });
  t.like(odd, { big: '10', sym: 'Symbol(s)', nan: 'NaN' });
  t.false('fn' in (odd ?? {}));
  t.true(JSON.stringify(odd?.deep).includes('too deep'));
  t.true(String(huge?.long).length < 20_000);
  t.is((huge?.many as unknown[]).length, 101);
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.like(proto, { msg: 'proto' });
});

test('redaction and masking still apply to what was made plain', (t) => {
  const { logger, lines } = collectingLogger();
  const error = Object.assign(new Error('upstream failed'), {
    request: { headers: { authorization: 'Bearer abc.def.ghi' } },
    phoneNumber: '+14155552671',
  });
  logger.error({ err: error, req: { headers: { cookie: 'session=1' } } }, 'failed');
  const line = lines()[0];
  t.like(line, {
    err: { request: { headers: { authorization: '[REDACTED]' } }, phoneNumber: '+1415***2671' },
    req: { headers: { cookie: '[REDACTED]' } },
  });
  t.false(JSON.stringify(line).includes('abc.def.ghi'));
});

test('errors keep type, code, cause chain and AggregateError members', (t) => {
  const cause = Object.assign(new TypeError('inner'), { code: 'E_INNER' });
  const aggregate = new AggregateError([new RangeError('one')], 'many', { cause });
  t.like(serializeError(aggregate), {
    type: 'AggregateError',
    message: 'many',
    cause: { type: 'TypeError', message: 'inner', code: 'E_INNER' },
    errors: [{ type: 'RangeError', message: 'one' }],
  });
  t.like(serializeError('a string was thrown'), { type: 'string', message: 'a string was thrown' });
  t.is(toLoggable(new Date(0)), '1970-01-01T00:00:00.000Z');
  t.deepEqual(toLoggable(new Map([['k', Buffer.alloc(1)]])), [['k', '[Buffer 1 bytes]']]);
});
