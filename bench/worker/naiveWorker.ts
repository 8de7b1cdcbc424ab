/**
 * BENCH ONLY, variant "naive": the plain sqs-consumer loop a first version would be: receive, decode,
 * render through the same pool, PutObject, delete. No ledger, no lease, no idempotency, no telemetry,
 * no DLQ: the floor the real worker's guarantees are measured against.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createAwsClients } from '@platform/aws-resources';
import { decodeMessage } from '@platform/contracts';
import { Consumer } from 'sqs-consumer';
import { outputKeyFor } from '../../services/image-worker/src/jobs/outputKey.ts';
import { createRenderPool } from '../../services/image-worker/src/render/RenderPool.ts';
import { DEFAULT_RENDER_LIMITS } from '../../services/image-worker/src/render/limits.ts';
import { CONTENT_TYPES, prepareRenderSpec } from '../../services/image-worker/src/render/spec.ts';

const env = process.env;
// The same client configuration as the services (endpoints from the SDK's env variables).
const { sqs, s3 } = createAwsClients(env);
const pool = createRenderPool(
  { metrics: { record: () => {} } },
  { threads: Number(env.RENDER_THREADS ?? '2') },
);
const consumer = Consumer.create({
  queueUrl: env.IMAGE_JOBS_QUEUE_URL ?? '',
  sqs,
  batchSize: Number(env.WORKER_CONCURRENCY ?? '4'),
  waitTimeSeconds: 20,
  visibilityTimeout: 60,
  messageAttributeNames: ['All'],
  handleMessage: async (message) => {
    const decoded = decodeMessage(message);
    if (decoded.contract !== 'image.job.requested') return message;
    const job = decoded.payload;
    const image = await pool.render(prepareRenderSpec(job, DEFAULT_RENDER_LIMITS));
    await s3.send(
      new PutObjectCommand({
        Bucket: env.ASSETS_BUCKET,
        Key: outputKeyFor(job.jobId, job.format),
        Body: image.bytes,
        ContentType: CONTENT_TYPES[job.format],
      }),
    );
    return message;
  },
});
consumer.on('error', (error) => process.stderr.write(`naive: ${String(error)}\n`));
process.once('SIGTERM', () => {
  consumer.stop({ abort: true });
  void pool.close().then(() => process.exit(0));
});
consumer.start();
process.stdout.write('{"msg":"naive worker started"}\n');
