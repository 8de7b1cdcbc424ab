import test from 'ava';
import { readableJobId } from '../../src/jobs/contractPoison.ts';

test('a contract poison names a job only through a string jobId of the contract shape', (t) => {
  t.is(readableJobId({ Body: '{"jobId":"job-1","width":"wide"}' }), 'job-1');
  for (const body of [
    undefined,
    '',
    '{"jobId": "half',
    '[]',
    'null',
    '{"jobId":42}',
    '{"jobId":"../etc/passwd"}',
    `{"jobId":"${'a'.repeat(129)}"}`,
    '{"jobId":"-leading-dash"}',
    '{"id":"job-1"}',
  ]) {
    t.is(readableJobId({ Body: body }), undefined, String(body));
  }
});
