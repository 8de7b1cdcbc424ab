import test from 'ava';
import { outputKeyFor, s3UriFor } from '../../src/jobs/outputKey.ts';

test('the output key is a pure function of the job: same job, same key, whatever the time or worker', (t) => {
  t.is(outputKeyFor('job-1', 'png'), 'jobs/job-1.png');
  t.is(outputKeyFor('job-1', 'jpeg'), 'jobs/job-1.jpg');
  t.is(outputKeyFor('job-1', 'webp'), 'jobs/job-1.webp');
  t.is(outputKeyFor('job-1', 'png'), outputKeyFor('job-1', 'png'));
  t.is(s3UriFor('bucket', 'jobs/job-1.png'), 's3://bucket/jobs/job-1.png');
});
