// One trace across a real SQS hop, exported over real OTLP/HTTP: a child process runs as a
// service does (`node --import @platform/telemetry/register`), with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a receiver this test starts. The JS OTLP/HTTP exporter sends OTLP/JSON
// (Content-Type application/json; ids as hex strings).
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startFauxqs } from 'fauxqs';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpTraceRequest {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('producer and process spans arrive at an OTLP/HTTP receiver with one trace id', async (t) => {
  const traceRequests: OtlpTraceRequest[] = [];
  const contentTypes: string[] = [];
  const receiver = createServer((request, response) => {
    void readBody(request).then((body) => {
      if (request.url === '/v1/traces') {
        contentTypes.push(request.headers['content-type'] ?? '');
        traceRequests.push(JSON.parse(body) as OtlpTraceRequest);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  t.teardown(() => receiver.close());
  const { port } = receiver.address() as AddressInfo;

  const fauxqs = await startFauxqs({ port: 0, logger: false });
  t.teardown(() => fauxqs.stop());
  const { queueUrl } = fauxqs.createQueue('trace-otlp');

  const fixture = fileURLToPath(new URL('../fixtures/sqsRoundTrip.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', '@platform/telemetry/register', fixture], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      PATH: process.env['PATH'],
      OTEL_SERVICE_NAME: 'trace-otlp-fixture',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      K8S_POD_NAME: 'fixture-pod-0',
      K8S_NAMESPACE: 'platform-test',
      AWS_ENDPOINT_URL_SQS: fauxqs.address,
      AWS_REGION: 'us-east-1',
      QUEUE_URL: queueUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.is(code, 0, stderr);
  // The child flushes before it exits, and the exporter waits for our 200: everything is here.
  const { traceId } = JSON.parse(stdout.trim()) as { traceId: string };

  t.true(contentTypes.every((type) => type.startsWith('application/json')));
  const spans = traceRequests.flatMap((request) =>
    request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  );
  const produce = spans.find((span) => span.name === 'produce job');
  const send = spans.find((span) => span.name === 'trace-otlp send');
  const processSpans = spans.filter((span) => span.name === 'trace-otlp process');
  t.is(produce?.traceId, traceId);
  t.is(send?.traceId, traceId);
  t.is(processSpans.length, 1);
  t.is(processSpans[0]?.traceId, traceId);
  t.is(processSpans[0]?.parentSpanId, send?.spanId);
  t.deepEqual(
    processSpans[0]?.links?.map((link) => link.traceId),
    [traceId],
  );

  const resource = traceRequests[0]?.resourceSpans[0]?.resource.attributes ?? [];
  const attribute = (key: string) => resource.find((entry) => entry.key === key)?.value.stringValue;
  t.is(attribute('service.name'), 'trace-otlp-fixture');
  t.is(attribute('k8s.pod.name'), 'fixture-pod-0');
  t.is(attribute('k8s.namespace.name'), 'platform-test');
});
