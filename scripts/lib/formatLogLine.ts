/**
 * Shortens a JSON log line (pino, EMF) to `LEVEL msg key=value ...` for a terminal; anything that is not
 * JSON passes through unchanged. Pure, so it is unit-tested.
 */
const PINO_LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
// Fields every line has, or that the prefix already says.
const HIDDEN = new Set([
  'level',
  'msg',
  'message',
  'time',
  'timestamp',
  'pid',
  'hostname',
  'service',
  'v',
  'span_id',
  'trace_flags',
]);
const MAX_VALUE_CHARS = 120;

export function formatLogLine(text: string): { level: string; text: string } {
  if (!text.startsWith('{')) return { level: 'RAW', text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { level: 'RAW', text };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { level: 'RAW', text };
  const record = parsed as Record<string, unknown>;
  if ('_aws' in record) return { level: 'METRIC', text: formatEmf(record) };
  const level = levelName(record.level);
  const msg =
    typeof record.msg === 'string' ? record.msg : typeof record.message === 'string' ? record.message : '';
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${shorten(value, key === 'trace_id' ? 8 : MAX_VALUE_CHARS)}`);
  return { level, text: [level.padEnd(5), msg, ...fields].filter((s) => s !== '').join(' ') };
}

function levelName(level: unknown): string {
  if (typeof level === 'number') return PINO_LEVELS[level] ?? String(level);
  if (typeof level === 'string') return level.toUpperCase();
  return 'INFO';
}

function shorten(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** EMF: `metrics JobsSucceeded=1 RenderMs=12 (Template=card)`. */
function formatEmf(record: Record<string, unknown>): string {
  const aws = record._aws as {
    CloudWatchMetrics?: { Metrics?: { Name?: string }[]; Dimensions?: string[][] }[];
  };
  const directive = aws.CloudWatchMetrics?.[0];
  const names = (directive?.Metrics ?? []).flatMap((m) => (typeof m.Name === 'string' ? [m.Name] : []));
  const dims = (directive?.Dimensions?.[0] ?? []).filter((d) => d !== 'Service');
  const values = names.map((n) => `${n}=${shorten(record[n], 40)}`);
  const dimText = dims.map((d) => `${d}=${shorten(record[d], 40)}`).join(' ');
  return `METRIC ${values.join(' ')}${dimText === '' ? '' : ` (${dimText})`}`;
}
