import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { createAwsClients } from '@platform/aws-resources';
import { encodeMessage } from '@platform/contracts';
import { PermanentError, TransientError } from '@platform/errors';
import { createLogger } from '@platform/telemetry';
import { queueCounts, waitFor, waitForMessageCount, waitForQueueEmpty } from '@platform/testkit';
import test from 'ava';
import { HandlerAbortedError, LeaseLostError, type HandlerContext } from '../../src/index.ts';
import { gate, jobPayload, receiveNow, sendJob, startConsumer, useQueues } from '../helpers/consumer.ts';

test('happy path: the handler gets the decoded payload, ack deletes the message', async (t) => {
  const aws = await useQueues(t);
  const jobId = randomUUID();
  const messageId = await sendJob(aws.clients.sqs, aws.urls.imageJobs, jobId);
  const seen: Array<HandlerContext<'image.job.requested'>> = [];
  const { outcomes } = startConsumer(t, aws, {
    handler: async (ctx) => {
      seen.push(ctx);
      return { kind: 'ack' };
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  t.like(outcomes[0], { kind: 'ack', messageId, contract: 'image.job.requested', receiveCount: 1 });
  const ctx = seen[0]!;
  t.is(ctx.contract, 'image.job.requested');
  t.is(ctx.payload.jobId, jobId);
  t.is(ctx.receiveCount, 1);
  t.false(ctx.signal.aborted);
  t.true(ctx.span.spanContext().spanId.length > 0);
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test("logBindings: the domain ids are on the lib's own lines and on the handler's", async (t) => {
  const aws = await useQueues(t);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'reliable-consumer-test',
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const jobId = randomUUID();
  const messageId = await sendJob(aws.clients.sqs, aws.urls.imageJobs, jobId);
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      logBindings: ({ payload }) => ({ jobId: payload.jobId, template: payload.template }),
      handler: async (ctx) => {
        ctx.log.info({}, 'handler line');
        return { kind: 'ack' };
      },
    },
    { logger },
  );
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  const settled = lines.find((line) => line.msg === 'message settled');
  t.like(settled, { messageId, jobId, template: jobPayload().template, outcome: 'ack' });
  t.like(
    lines.find((line) => line.msg === 'handler line'),
    { messageId, jobId },
  );
});

test('transient errors back off with growing visibility, then SQS redrive moves the message to the DLQ', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let calls = 0;
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      backoff: { baseSeconds: 1, maxSeconds: 2 },
      handler: async () => {
        calls += 1;
        throw new TransientError('RENDER_TIMEOUT', 'renderer busy');
      },
    },
    // Jitter pinned to the top of the range so the growth is visible: 1 s, then 2 s, then capped at 2 s.
    { random: () => 0.999 },
  );
  // Never deleted on a transient failure: after maxReceiveCount receives, SQS's redrive moves it.
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 1, { timeoutMs: 30_000 });
  t.is(calls, 3);
  t.deepEqual(
    outcomes.map((o) => [o.kind, o.reason, o.receiveCount, o.delaySeconds]),
    [
      ['retry', 'RENDER_TIMEOUT', 1, 1],
      ['retry', 'RENDER_TIMEOUT', 2, 2],
      ['retry', 'RENDER_TIMEOUT', 3, 2],
    ],
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('a permanent error goes to the DLQ at once with reason attributes and trace context; the original is deleted', async (t) => {
  const aws = await useQueues(t);
  const messageId = await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let calls = 0;
  const { outcomes } = startConsumer(t, aws, {
    handler: async () => {
      calls += 1;
      throw new PermanentError('TEMPLATE_UNKNOWN', 'no template "nope"');
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  t.like(outcomes[0], { kind: 'dead-letter', reason: 'TEMPLATE_UNKNOWN', messageId, receiveCount: 1 });
  t.is(calls, 1);
  const [dead] = await receiveNow(aws.clients.sqs, aws.urls.imageJobsDlq);
  const attributes = dead?.MessageAttributes ?? {};
  t.is(attributes['dlq-reason']?.StringValue, 'TEMPLATE_UNKNOWN');
  t.is(attributes['dlq-detail']?.StringValue, 'no template "nope"');
  t.is(attributes['dlq-source-queue']?.StringValue, aws.urls.imageJobs);
  t.false(Number.isNaN(Date.parse(attributes['dlq-failed-at']?.StringValue ?? '')));
  t.is(
    attributes.contract?.StringValue,
    'image.job.requested',
    'the envelope is kept, so it can be redriven',
  );
  t.true(Object.keys(attributes).length <= 10);
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('contract violations never reach the handler and are dead-lettered at once with their reason', async (t) => {
  const aws = await useQueues(t);
  const valid = encodeMessage('image.job.requested', jobPayload());
  const poison: SendMessageCommandInput[] = [
    // Unparseable JSON under a valid envelope.
    { QueueUrl: aws.urls.imageJobs, MessageBody: '{not json', MessageAttributes: valid.MessageAttributes },
    // Schema-invalid payload.
    {
      QueueUrl: aws.urls.imageJobs,
      MessageBody: JSON.stringify({ jobId: 'x', template: 42 }),
      MessageAttributes: valid.MessageAttributes,
    },
    // No envelope at all.
    { QueueUrl: aws.urls.imageJobs, MessageBody: '{}' },
  ];
  for (const input of poison) await aws.clients.sqs.send(new SendMessageCommand(input));
  let calls = 0;
  const { outcomes } = startConsumer(t, aws, {
    handler: async () => {
      calls += 1;
      return { kind: 'ack' };
    },
  });
  await waitFor(() => outcomes.length === 3, { description: 'three outcomes' });
  t.is(calls, 0);
  t.deepEqual(outcomes.map((o) => o.reason).sort(), [
    'INVALID_JSON',
    'MISSING_ATTRIBUTE',
    'SCHEMA_VIOLATION',
  ]);
  t.true(outcomes.every((o) => o.kind === 'dead-letter' && o.receiveCount === 1));
  const dead = await receiveNow(aws.clients.sqs, aws.urls.imageJobsDlq);
  t.deepEqual(dead.map((m) => m.MessageAttributes?.['dlq-reason']?.StringValue).sort(), [
    'INVALID_JSON',
    'MISSING_ATTRIBUTE',
    'SCHEMA_VIOLATION',
  ]);
  t.true(
    dead.some((m) => m.Body === '{not json'),
    'the body is copied unchanged',
  );
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('poison neighbours: one bad message in a batch never fails the others', async (t) => {
  // A short visibility: if the emulator hands a message to a receive nobody reads (a retried or
  // abandoned request on a loaded machine), it comes back in seconds instead of outliving the wait.
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 3 });
  const good = [randomUUID(), randomUUID(), randomUUID()];
  for (const jobId of good) await sendJob(aws.clients.sqs, aws.urls.imageJobs, jobId);
  const poisonId = randomUUID();
  await sendJob(aws.clients.sqs, aws.urls.imageJobs, poisonId);
  await aws.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: aws.urls.imageJobs, MessageBody: 'garbage' }),
  );
  const acked = new Set<string>();
  const { outcomes } = startConsumer(t, aws, {
    concurrency: 10,
    visibilityTimeoutSeconds: 3,
    heartbeatIntervalSeconds: 1,
    handler: async (ctx) => {
      if (ctx.payload.jobId === poisonId) throw new Error('handler bug on this one message');
      acked.add(ctx.payload.jobId);
      return { kind: 'ack' };
    },
  });
  await waitFor(
    () =>
      acked.size === good.length &&
      outcomes.some((o) => o.kind === 'dead-letter') &&
      outcomes.some((o) => o.kind === 'retry'),
    { description: 'three acks, one dead-letter and one retry' },
  );
  t.deepEqual([...acked].sort(), [...good].sort());
  t.is(outcomes.filter((o) => o.kind === 'ack').length, 3, 'each good message acknowledged once');
  t.is(outcomes.filter((o) => o.kind === 'dead-letter').length, 1, 'the unparseable one');
  t.true(
    outcomes.some((o) => o.kind === 'retry'),
    'the throwing one (unknown error = transient) is retried with backoff, not dead-lettered',
  );
});

test('heartbeat keeps a message invisible for more than 3x its visibility timeout while the handler runs', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 3 });
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let calls = 0;
  let beats = 0;
  const started = Date.now();
  const { outcomes } = startConsumer(t, aws, {
    concurrency: 2,
    visibilityTimeoutSeconds: 3,
    // 6 beats per visibility period: slack for a loaded CI machine.
    heartbeatIntervalSeconds: 0.5,
    handler: async (ctx) => {
      calls += 1;
      // The handler runs until 19 heartbeats (9.5 s, > 3x the 3 s visibility) have extended visibility.
      await new Promise<void>((resolve) =>
        ctx.onHeartbeat(async () => {
          beats += 1;
          if (beats >= 19) resolve();
        }),
      );
      return { kind: 'ack' };
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'the long job to finish', timeoutMs: 30_000 });
  t.true(Date.now() - started > 9_000);
  t.is(calls, 1, 'never redelivered while running (a free slot was polling the queue all along)');
  t.like(outcomes[0], { kind: 'ack', receiveCount: 1 });
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('a failing heartbeat hook (lease lost) aborts the handler signal and the message is left for redelivery', async (t) => {
  const aws = await useQueues(t);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let abortReason: unknown;
  let uploaded = false;
  const { outcomes } = startConsumer(t, aws, {
    heartbeatIntervalSeconds: 0.2,
    handler: async (ctx) => {
      ctx.onHeartbeat(async () => {
        throw new LeaseLostError({
          key: 'k',
          owner: 'me',
          version: 1,
          reason: 'taken-over',
          current: undefined,
        });
      });
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      abortReason = ctx.signal.reason;
      if (!ctx.signal.aborted) uploaded = true;
      throw ctx.signal.reason;
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  t.true(abortReason instanceof HandlerAbortedError);
  t.is((abortReason as HandlerAbortedError).reason, 'heartbeat-failed');
  t.true((abortReason as HandlerAbortedError).cause instanceof LeaseLostError);
  t.false(uploaded);
  t.like(outcomes[0], { kind: 'abandoned', reason: 'HEARTBEAT_FAILED' });
  const counts = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
  t.is(counts.visible + counts.inFlight, 1, 'not deleted');
});

test('a handler that still answers dead-letter after losing its message makes no DLQ copy (the next delivery decides)', async (t) => {
  const aws = await useQueues(t);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  const { outcomes } = startConsumer(t, aws, {
    heartbeatIntervalSeconds: 0.2,
    handler: async (ctx) => {
      ctx.onHeartbeat(async () => {
        throw new LeaseLostError({
          key: 'k',
          owner: 'me',
          version: 1,
          reason: 'expired',
          current: undefined,
        });
      });
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      // e.g. poison detected, its ledger write slow past a pause: the verdict arrives too late.
      return { kind: 'dead-letter', reason: 'RENDER_LIMIT_EXCEEDED' };
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  t.like(outcomes[0], { kind: 'abandoned', reason: 'HEARTBEAT_FAILED' });
  const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
  t.is(dlq.visible + dlq.inFlight, 0, 'no DLQ copy');
  const counts = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
  t.is(counts.visible + counts.inFlight, 1, 'the original is still there');
});

test('a poison message whose onPoison outlasted its visibility (a pause) gets no DLQ copy: its next delivery makes the one copy', async (t) => {
  const aws = await useQueues(t);
  await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.urls.imageJobs, MessageBody: '{}' }));
  // The consumer's clock jumps past the 30 s visibility while the first onPoison runs, as after a
  // SIGSTOP; later deliveries see no jump.
  let offset = 0;
  let poisonCalls = 0;
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      handler: async () => ({ kind: 'ack' }),
      onPoison: async () => {
        poisonCalls += 1;
        if (poisonCalls === 1) offset += 31_000;
      },
    },
    { clock: () => Date.now() + offset },
  );
  await waitFor(() => outcomes.length === 2, { description: 'two outcomes', timeoutMs: 30_000 });
  t.like(outcomes[0], { kind: 'abandoned', reason: 'VISIBILITY_LAPSED' });
  t.like(outcomes[1], { kind: 'dead-letter' });
  const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
  t.is(dlq.visible + dlq.inFlight, 1, 'exactly one DLQ copy');
});

test('a dead-letter verdict that comes after the visibility ran out (a pause in the handler) makes no DLQ copy: the next delivery makes the one copy', async (t) => {
  const aws = await useQueues(t);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  // The consumer's clock jumps past the 30 s visibility while the first handler runs (a SIGSTOP
  // before its heartbeat was due), so no beat failed before its verdict.
  let offset = 0;
  let calls = 0;
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      handler: async () => {
        calls += 1;
        if (calls === 1) offset += 31_000;
        return { kind: 'dead-letter', reason: 'TEMPLATE_PARAMS_INVALID' };
      },
    },
    { clock: () => Date.now() + offset },
  );
  await waitFor(() => outcomes.length === 2, { description: 'two outcomes', timeoutMs: 30_000 });
  t.like(outcomes[0], { kind: 'abandoned', reason: 'VISIBILITY_LAPSED' });
  t.like(outcomes[1], { kind: 'dead-letter', reason: 'TEMPLATE_PARAMS_INVALID', receiveCount: 2 });
  await waitForMessageCount(aws.clients.sqs, aws.urls.imageJobsDlq, 1);
  const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
  t.is(dlq.visible + dlq.inFlight, 1, 'exactly one DLQ copy');
});

test('the DLQ copy is claimed from SQS first: a message another consumer received meanwhile is not copied a second time', async (t) => {
  const aws = await useQueues(t);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let other: string | undefined;
  const { outcomes } = startConsumer(t, aws, {
    handler: async (ctx) => {
      // Our clock sees no lapse, but SQS does: the message went back to the queue (a pause SQS
      // saw and this process did not) and another consumer has it now.
      await aws.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: aws.urls.imageJobs,
          ReceiptHandle: ctx.message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      const taken = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.imageJobs,
          VisibilityTimeout: 60,
          WaitTimeSeconds: 1,
        }),
      );
      other = taken.Messages?.[0]?.ReceiptHandle;
      return { kind: 'dead-letter', reason: 'TEMPLATE_PARAMS_INVALID' };
    },
  });
  await waitFor(() => outcomes.length === 1, { description: 'one outcome' });
  t.truthy(other, 'the other consumer received it');
  t.like(outcomes[0], { kind: 'dead-letter' });
  t.truthy(outcomes[0]?.settleError, 'the claim failed, so nothing was copied or deleted');
  const dlq = await queueCounts(aws.clients.sqs, aws.urls.imageJobsDlq);
  t.is(dlq.visible + dlq.inFlight, 0, 'no DLQ copy beside the one the other consumer would make');
  const counts = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
  t.is(counts.inFlight, 1, 'the original stays, held by the other consumer');
});

test('concurrency is independent of batch size: never more than `concurrency` handlers or received messages', async (t) => {
  const aws = await useQueues(t);
  const total = 12;
  for (let i = 0; i < total; i++) await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let running = 0;
  let maxRunning = 0;
  const held: Array<() => void> = [];
  const { outcomes } = startConsumer(t, aws, {
    concurrency: 3,
    batchSize: 10,
    handler: async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const { promise, open } = gate();
      held.push(open);
      await promise;
      running -= 1;
      return { kind: 'ack' };
    },
  });
  await waitFor(() => held.length === 3, { description: 'three handlers running' });
  // Only what can run is received: the rest stays visible for other workers.
  const counts = await queueCounts(aws.clients.sqs, aws.urls.imageJobs);
  t.is(counts.inFlight, 3);
  t.is(counts.visible, total - 3);
  let released = 0;
  while (outcomes.length < total) {
    await waitFor(() => held.length > released || outcomes.length === total, {
      description: 'a held handler',
    });
    while (released < held.length) held[released++]!();
  }
  t.is(maxRunning, 3);
  t.is(outcomes.filter((o) => o.kind === 'ack').length, total);
});

test('stop() lets an in-flight handler finish, then resolves; the message is acked', async (t) => {
  const aws = await useQueues(t);
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  const hold = gate();
  let running = false;
  const { consumer, outcomes } = startConsumer(t, aws, {
    handler: async () => {
      running = true;
      await hold.promise;
      return { kind: 'ack' };
    },
  });
  await waitFor(() => running, { description: 'the handler to start' });
  let stopped = false;
  const stopping = consumer.stop({ timeoutMs: 10_000 }).then(() => (stopped = true));
  t.false(consumer.isRunning());
  t.false(stopped);
  hold.open();
  await stopping;
  t.like(outcomes[0], { kind: 'ack' });
  await waitForQueueEmpty(aws.clients.sqs, aws.urls.imageJobs);
});

test('stop() past its deadline aborts the handler and releases the message to other workers at once', async (t) => {
  // A 30 s visibility: only an explicit release (visibility 0) makes it receivable again right away.
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 30 });
  const messageId = await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  let running = false;
  const { consumer, outcomes } = startConsumer(t, aws, {
    // Short polls only: stop() aborts the consumer's long poll on the client side, but the server may
    // keep that receive pending until its wait ends (the emulator does; SQS may too) and hand it the
    // message we release, hiding it for a visibility timeout. That costs a delay, never a message; here
    // it would make "receivable at once" depend on timing, so no long poll can be pending.
    waitTimeSeconds: 0,
    handler: async (ctx) => {
      running = true;
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      throw ctx.signal.reason;
    },
  });
  await waitFor(() => running, { description: 'the handler to start' });
  await consumer.stop({ timeoutMs: 100 });
  t.like(outcomes[0], { kind: 'released', reason: 'SHUTDOWN' });
  const again = await receiveNow(aws.clients.sqs, aws.urls.imageJobs);
  t.is(again[0]?.MessageId, messageId);
});

test('messages whose receive completes after stop() began are released at once, never run', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 30 });
  for (let i = 0; i < 2; i++) await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  // Fake at one boundary: a ReceiveMessage whose response is already on the wire when stop() aborts
  // the poll. The wrapper holds the (real) response until the test lets it through.
  const responseArrived = gate();
  const letThrough = gate();
  const { sqs } = createAwsClients(aws.env);
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Messages?: unknown[] };
      if (context.commandName === 'ReceiveMessageCommand' && (output.Messages?.length ?? 0) > 0) {
        responseArrived.open();
        await letThrough.promise;
      }
      return result;
    },
    { step: 'initialize', name: 'holdReceiveResponse' },
  );
  t.teardown(() => sqs.destroy());
  let calls = 0;
  const { consumer, outcomes } = startConsumer(
    t,
    aws,
    {
      handler: async () => {
        calls += 1;
        return { kind: 'ack' };
      },
    },
    { sqs },
  );
  await responseArrived.promise;
  const stopping = consumer.stop({ timeoutMs: 5_000 });
  letThrough.open();
  await stopping;
  await waitFor(() => outcomes.length === 2, { description: 'both released' });
  t.is(calls, 0);
  t.true(outcomes.every((o) => o.kind === 'released' && o.reason === 'STOPPING'));
  const again = await receiveNow(aws.clients.sqs, aws.urls.imageJobs);
  t.is(again.length, 2, 'immediately receivable by another consumer');
});

test('defer leaves the message invisible for the asked time and is not a failure', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 30 });
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  const { outcomes } = startConsumer(t, aws, {
    handler: async (ctx) => (ctx.receiveCount === 1 ? { kind: 'defer', delaySeconds: 1 } : { kind: 'ack' }),
  });
  await waitFor(() => outcomes.length === 2, { description: 'deferred then acked', timeoutMs: 15_000 });
  t.deepEqual(
    outcomes.map((o) => o.kind),
    ['defer', 'ack'],
  );
  t.is(outcomes[0]?.delaySeconds, 1);
});

test('the heartbeat never asks past the visibility ceiling: the handler is aborted before it', async (t) => {
  const aws = await useQueues(t, { visibilityTimeoutSeconds: 10 });
  await sendJob(aws.clients.sqs, aws.urls.imageJobs);
  // Ceiling arithmetic runs on the injected clock: each heartbeat moves it 10 s, whatever the real
  // time, while real visibility stays long enough for a loaded machine.
  let now = Date.parse('2030-01-01T00:00:00Z');
  const { sqs } = createAwsClients(aws.env);
  t.teardown(() => sqs.destroy());
  const extensions: number[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ChangeMessageVisibilityCommand') {
        extensions.push((args.input as { VisibilityTimeout: number }).VisibilityTimeout);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordVisibilityChanges' },
  );
  let reason: unknown;
  const { outcomes } = startConsumer(
    t,
    aws,
    {
      visibilityTimeoutSeconds: 10,
      heartbeatIntervalSeconds: 0.3,
      // A 25 s ceiling stands in for SQS's 12 h one.
      maxVisibilitySeconds: 25,
      handler: async (ctx) => {
        ctx.onHeartbeat(async () => {
          now += 10_000;
        });
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        reason = ctx.signal.reason;
        throw ctx.signal.reason;
      },
    },
    { sqs, clock: () => now },
  );
  await waitFor(() => outcomes.length === 1, { description: 'the aborted outcome', timeoutMs: 15_000 });
  t.is((reason as HandlerAbortedError).reason, 'visibility-ceiling');
  // Beats at 0, 10, 20 s since receive ask for 10, 10 and then only the 5 s left below the 25 s
  // ceiling; at 30 s nothing is left, so the handler is aborted and the abandoned message is handed
  // back with what is left (0 s). No extension ever ends past the ceiling.
  t.deepEqual(extensions, [10, 10, 5, 0]);
  t.like(outcomes[0], { kind: 'abandoned', reason: 'VISIBILITY_CEILING' });
});
