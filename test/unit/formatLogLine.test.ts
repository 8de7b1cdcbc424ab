import test from 'ava';
import { formatLogLine } from '../../scripts/lib/formatLogLine.ts';

test('pino JSON lines become "LEVEL msg key=value"', (t) => {
  const line = JSON.stringify({
    level: 30,
    time: 1,
    pid: 2,
    hostname: 'h',
    service: 'image-worker',
    msg: 'job completed',
    jobId: 'j1',
    ms: 42,
    trace_id: '0123456789abcdef0123456789abcdef',
  });
  t.deepEqual(formatLogLine(line), {
    level: 'INFO',
    text: 'INFO  job completed jobId=j1 ms=42 trace_id=01234567…',
  });
});

test('EMF lines are shown as metrics and plain text passes through', (t) => {
  const emf = JSON.stringify({
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [
        { Namespace: 'N', Dimensions: [['Service', 'Template']], Metrics: [{ Name: 'RenderMs' }] },
      ],
    },
    Service: 'image-worker',
    Template: 'card',
    RenderMs: 12,
  });
  t.is(formatLogLine(emf).text, 'METRIC RenderMs=12 (Template=card)');
  t.deepEqual(formatLogLine('Invalid configuration:'), { level: 'RAW', text: 'Invalid configuration:' });
  t.is(formatLogLine('{not json').level, 'RAW');
});
