/**
 * An invitation is findable in Jaeger: invitation.id, invitation.code and enduser.id (never the phone
 * number) on the HTTP server span of create/read/accept, on the outbox relay's send span and on the
 * sms.status consumer's process span. The SDK is started with an in-memory exporter before the
 * service's modules load, as `--import @platform/telemetry/register` does in the process.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '@platform/telemetry/sdk';
import test, { type ExecutionContext } from 'ava';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry({ serviceName: 'invite-api-test', spanExporter: exporter, env: {} });
const { decodeMessage, encodeMessage } = await import('@platform/contracts');
const { createAwsClients } = await import('@platform/aws-resources');
const { sharedAws, startRequestCounter, waitFor, waitForQueueEmpty } = await import('@platform/testkit');
const { useHarness } = await import('../helpers/harness.ts');

test.after.always(() => telemetry.shutdown());

type Harness = Awaited<ReturnType<typeof useHarness>>;

async function invite(h: Harness, user: string, phoneNumber: string) {
  const res = await h.request('/api/invitations', { method: 'POST', as: user, json: { phoneNumber } });
  const body = (await res.json()) as { invitationId: string; inviteCode: string };
  if (res.status !== 201) throw new Error(`invitation not created: ${JSON.stringify(body)}`);
  return body;
}

/** The finished span matching, once the SDK has exported it (spans end after the response is sent). */
async function span(description: string, match: (span: ReadableSpan) => boolean): Promise<ReadableSpan> {
  return waitFor(
    async () => {
      await telemetry.forceFlush();
      return exporter.getFinishedSpans().find(match);
    },
    { description, timeoutMs: 10_000 },
  );
}

const tagged = (invitationId: string) => (candidate: ReadableSpan) =>
  candidate.attributes['invitation.id'] === invitationId;

function assertNoPhoneNumber(t: ExecutionContext, spans: readonly ReadableSpan[], phoneNumber: string) {
  const leaked = spans.filter((candidate) =>
    JSON.stringify(candidate.attributes).includes(phoneNumber.slice(2)),
  );
  t.deepEqual(
    leaked.map((candidate) => candidate.name),
    [],
    'no span attribute carries the phone number',
  );
}

test('create, read and accept tag the HTTP server span with invitation.id, invitation.code and enduser.id', async (t) => {
  const h = await useHarness(t);
  const phoneNumber = '+14155557101';
  const { invitationId, inviteCode } = await invite(h, 'trace-alice', phoneNumber);
  const expected = {
    'invitation.id': invitationId,
    'invitation.code': inviteCode,
    'enduser.id': 'trace-alice',
  };

  const server = (method: string) => (candidate: ReadableSpan) =>
    candidate.kind === SpanKind.SERVER &&
    candidate.attributes['http.request.method'] === method &&
    tagged(invitationId)(candidate);

  t.like((await span('POST server span', server('POST'))).attributes, expected);

  t.is((await h.request(`/api/invitations/${invitationId}`, { as: 'trace-alice' })).status, 200);
  t.like((await span('GET server span', server('GET'))).attributes, expected);

  const accepted = await h.request('/api/invitations/accept', {
    method: 'POST',
    as: 'trace-bob',
    json: { inviteCode },
  });
  t.is(accepted.status, 200);
  const acceptSpan = await span(
    'accept server span',
    (candidate) => server('POST')(candidate) && String(candidate.attributes['url.path']).endsWith('/accept'),
  );
  t.like(acceptSpan.attributes, expected, 'enduser.id is the inviter on every invitation span');
  assertNoPhoneNumber(t, exporter.getFinishedSpans(), phoneNumber);
});

test("the outbox relay's send span carries the invitation", async (t) => {
  const proxy = await startRequestCounter({ target: (await sharedAws()).endpoints.sqs });
  t.teardown(() => proxy.close());
  const h = await useHarness(t, {
    sqs: (aws) => {
      const clients = createAwsClients({ ...aws.env, AWS_ENDPOINT_URL_SQS: proxy.endpoint });
      t.teardown(() => clients.destroy());
      return clients.sqs;
    },
  });
  // The request path's send (batched): it fails, so the relay's single SendMessage is the one that sends.
  const fault = proxy.addFault({ match: { service: 'sqs', operation: 'SendMessageBatch' }, status: 500 });
  const { invitationId, inviteCode } = await invite(h, 'trace-carol', '+14155557102');
  await h.api.publisher.drain(); // the send after the 201 has met the fault and given up
  t.true(fault.hits >= 1);
  fault.remove();
  t.like(await h.api.relay.runOnce(), { claimed: 1, sent: 1 });

  const relaySpan = await span(
    'relay send span',
    (candidate) => candidate.name === 'outbox.relay send' && tagged(invitationId)(candidate),
  );
  t.like(relaySpan.attributes, {
    'invitation.id': invitationId,
    'invitation.code': inviteCode,
    'enduser.id': 'trace-carol',
  });
  const sendChild = await span(
    'SendMessage span under the relay span',
    (candidate) => candidate.parentSpanContext?.spanId === relaySpan.spanContext().spanId,
  );
  t.is(sendChild.kind, SpanKind.PRODUCER, "the SQS send is a child of the relay's span");
});

test("the sms.status consumer's process span carries the invitation", async (t) => {
  const h = await useHarness(t, { startConsumer: true });
  const { invitationId, inviteCode } = await invite(h, 'trace-dave', '+14155557103');
  await h.aws.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: h.aws.urls.inviteEvents,
      ...encodeMessage('sms.status', {
        invitationId,
        status: 'sent',
        provider: 'local',
        providerMessageId: `local-${invitationId}`,
        occurredAt: new Date().toISOString(),
      }),
    }),
  );
  await waitForQueueEmpty(h.aws.clients.sqs, h.aws.urls.inviteEvents, { timeoutMs: 20_000 });

  const process = await span(
    'process span',
    (candidate) => candidate.kind === SpanKind.CONSUMER && tagged(invitationId)(candidate),
  );
  t.like(process.attributes, {
    'invitation.id': invitationId,
    'invitation.code': inviteCode,
    'enduser.id': 'trace-dave',
    'platform.message.contract': 'sms.status',
  });
});

test("two invitations sent in one SendMessageBatch each carry their own request's trace context", async (t) => {
  // The linger holds the batch until drain(): both requests are in it, whatever the machine's pace.
  const h = await useHarness(t, { env: { OUTBOX_SEND_LINGER_MS: '10000' } });
  const first = await invite(h, 'trace-erin', '+14155557104');
  const second = await invite(h, 'trace-frank', '+14155557105');
  await h.api.publisher.drain();

  const postSpan = (invitationId: string) =>
    span(
      'POST server span',
      (candidate) => candidate.kind === SpanKind.SERVER && tagged(invitationId)(candidate),
    );
  const traceOf = new Map<string, string>();
  for (const { invitationId } of [first, second])
    traceOf.set(invitationId, (await postSpan(invitationId)).spanContext().traceId);
  t.not(traceOf.get(first.invitationId), traceOf.get(second.invitationId), 'two requests, two traces');

  // One batch span, linked to both requests, with the instrumented SendMessageBatch under it: the
  // instrumentation was there to inject its own context, and did not replace the entries'.
  // (The file's other tests run beside this one and send batches of their own.)
  const batch = await span(
    'batch span',
    (candidate) =>
      candidate.name === 'outbox.publish batch' &&
      candidate.links.some((link) => link.context.traceId === traceOf.get(first.invitationId)),
  );
  t.is(batch.attributes['messaging.batch.message_count'], 2);
  t.deepEqual(
    batch.links.map((link) => link.context.traceId).sort(),
    [...traceOf.values()].sort(),
    'linked to each request',
  );
  const send = await span(
    'SendMessageBatch span under the batch span',
    (candidate) =>
      candidate.kind === SpanKind.PRODUCER &&
      candidate.parentSpanContext?.spanId === batch.spanContext().spanId,
  );
  t.not(send.spanContext().traceId, traceOf.get(first.invitationId));

  const { Messages = [] } = await h.aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: h.aws.urls.smsRequests,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  t.is(Messages.length, 2);
  for (const message of Messages) {
    const { invitationId } = decodeMessage(message).payload as { invitationId: string };
    const traceparent = message.MessageAttributes?.traceparent?.StringValue ?? '';
    t.is(traceparent.split('-')[1], traceOf.get(invitationId), `${invitationId} continues its own trace`);
  }
});
