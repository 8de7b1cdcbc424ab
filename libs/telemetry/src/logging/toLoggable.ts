/**
 * Turns anything a caller hands the logger into plain, JSON-safe data that cannot throw later:
 * pino's redaction walks the logged object with wildcard paths, and an object it cannot walk (a
 * Buffer, whose `parent` getter throws when read off a copy; a getter that throws; a Proxy) used to
 * throw out of `logger.error()`. Node's HTTP parser errors carry such a Buffer (`rawPacket`), so
 * one malformed request could kill a service through its own error log.
 *
 * Rules, in order: primitives pass (bigint and symbol as strings, long strings cut); binary data
 * (Buffer, typed arrays, ArrayBuffer, DataView, Blob) becomes a summary, never its bytes (they may
 * hold a token); errors keep type, message, stack, code, cause and their own fields; `toJSON` is
 * honoured (Date, URL); Map/Set become arrays; everything else is read key by key, each read in a
 * try so one throwing getter costs only its own field. Cycles, depth, keys and array lengths are
 * bounded, so a hostile or huge object costs a bounded amount of work.
 */

const MAX_DEPTH = 8;
const MAX_KEYS = 100;
const MAX_ARRAY = 100;
// A stack trace with a long cause chain fits; a multi-megabyte string logged by mistake does not.
const MAX_STRING = 16 * 1024;

export type Loggable = null | boolean | number | string | Loggable[] | { [key: string]: Loggable };

/**
 * Replaces the value of a listed key, at any depth, during the walk (the logger's redaction: see
 * redaction.ts). Returns undefined for keys it does not list.
 */
export type KeyCensor = (key: string, value: unknown) => string | undefined;

/** A description of a value that could not be read, naming why without ever throwing. */
function unreadable(error: unknown): string {
  let reason = 'unknown';
  try {
    reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    // The error itself is hostile; "unknown" it stays.
  }
  return `[Unreadable: ${cut(reason)}]`;
}

function cut(text: string): string {
  return text.length > MAX_STRING
    ? `${text.slice(0, MAX_STRING)}…[${text.length - MAX_STRING} more chars]`
    : text;
}

/** Binary data of any kind, summarised by kind and size. */
function binarySummary(value: object): string | undefined {
  try {
    if (Buffer.isBuffer(value)) return `[Buffer ${value.byteLength} bytes]`;
    if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      return `[${value.constructor.name} ${value.byteLength} bytes]`;
    }
    if (typeof Blob !== 'undefined' && value instanceof Blob) return `[Blob ${value.size} bytes]`;
  } catch (error) {
    return unreadable(error);
  }
  return undefined;
}

function isErrorLike(value: object): value is Error {
  if (value instanceof Error) return true;
  // Errors from another realm (vm, worker) fail instanceof but keep the shape.
  const record = value as { message?: unknown; stack?: unknown };
  return typeof record.message === 'string' && typeof record.stack === 'string';
}

function readKey(source: object, key: string): { value: unknown } | { failed: string } {
  try {
    return { value: (source as Record<string, unknown>)[key] };
  } catch (error) {
    return { failed: unreadable(error) };
  }
}

class Walker {
  readonly #seen = new WeakSet<object>();
  readonly #censor: KeyCensor | undefined;

  constructor(censor?: KeyCensor) {
    this.#censor = censor;
  }

  walk(value: unknown, depth: number): Loggable | undefined {
    switch (typeof value) {
      case 'string':
        return cut(value);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'symbol':
        return value.toString();
      case 'undefined':
      case 'function':
        return undefined;
    }
    if (value === null) return null;
    const object = value as object;
    const binary = binarySummary(object);
    if (binary !== undefined) return binary;
    if (this.#seen.has(object)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Object: too deep]';
    this.#seen.add(object);
    try {
      return this.#walkObject(object, depth);
    } catch (error) {
      return unreadable(error);
    } finally {
      this.#seen.delete(object);
    }
  }

  #walkObject(object: object, depth: number): Loggable {
    if (isErrorLike(object)) return this.error(object, depth);
    if (Array.isArray(object)) return this.#walkArray(object, depth);
    if (object instanceof Map) return this.#walkArray([...object.entries()], depth);
    if (object instanceof Set) return this.#walkArray([...object.values()], depth);
    const toJSON = readKey(object, 'toJSON');
    if ('value' in toJSON && typeof toJSON.value === 'function') {
      // Date, URL, and objects that say how they want to be seen; the result is walked again.
      return this.walk((toJSON.value as () => unknown).call(object), depth + 1) ?? null;
    }
    return this.#walkKeys(object, Object.keys(object), depth);
  }

  #walkArray(items: readonly unknown[], depth: number): Loggable[] {
    const out: Loggable[] = [];
    const length = Math.min(items.length, MAX_ARRAY);
    for (let index = 0; index < length; index++) {
      const read = readKey(items, String(index));
      out.push('failed' in read ? read.failed : (this.walk(read.value, depth + 1) ?? null));
    }
    if (items.length > MAX_ARRAY) out.push(`[… ${items.length - MAX_ARRAY} more items]`);
    return out;
  }

  #walkKeys(source: object, keys: readonly string[], depth: number, into: Record<string, Loggable> = {}) {
    let taken = 0;
    for (const key of keys) {
      if (Object.hasOwn(into, key)) continue;
      if (taken === MAX_KEYS) {
        into['…'] = `[${keys.length - MAX_KEYS} more keys]`;
        break;
      }
      taken++;
      const read = readKey(source, key);
      const censored =
        this.#censor === undefined || 'failed' in read ? undefined : this.#censor(key, read.value);
      const value = 'failed' in read ? read.failed : (censored ?? this.walk(read.value, depth + 1));
      // defineProperty, not assignment: a key named `__proto__` must stay a plain field.
      if (value !== undefined)
        Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return into;
  }

  /** The shape of pino's own err serializer (type, message, stack), plus every own field, made safe. */
  error(error: object, depth: number): Record<string, Loggable> {
    const out: Record<string, Loggable> = {};
    const name = readKey(error, 'name');
    let type = 'Error';
    try {
      type =
        error.constructor?.name ?? ('value' in name && typeof name.value === 'string' ? name.value : 'Error');
    } catch {
      // a hostile constructor getter
    }
    out.type = type;
    for (const key of ['message', 'stack', 'code'] as const) {
      const read = readKey(error, key);
      const value = 'failed' in read ? read.failed : this.walk(read.value, depth + 1);
      if (value !== undefined) out[key] = value;
    }
    let keys: string[] = [];
    try {
      keys = Object.keys(error);
    } catch (failure) {
      out.fields = unreadable(failure);
    }
    this.#walkKeys(error, keys, depth, out);
    for (const key of ['cause', 'errors'] as const) {
      if (Object.hasOwn(out, key)) continue;
      const read = readKey(error, key);
      const value = 'failed' in read ? read.failed : this.walk(read.value, depth + 1);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
}

/** Any value as plain JSON-safe data (see the module comment); never throws. */
export function toLoggable(value: unknown, censor?: KeyCensor): Loggable | undefined {
  try {
    return new Walker(censor).walk(value, 0);
  } catch (error) {
    return unreadable(error);
  }
}

/** An error (or anything thrown) as `{ type, message, stack, code?, cause?, ...fields }`; never throws. */
export function serializeError(error: unknown, censor?: KeyCensor): Loggable {
  try {
    if (typeof error === 'object' && error !== null) return new Walker(censor).error(error, 0);
    return { type: typeof error, message: cut(String(error)) };
  } catch (failure) {
    return unreadable(failure);
  }
}

/** True for an Error or an object shaped like one, without ever throwing. */
export function looksLikeError(value: unknown): value is Error {
  try {
    return typeof value === 'object' && value !== null && isErrorLike(value);
  } catch {
    return false;
  }
}
