// AWS End User Messaging SMS events, published to the real sms-events SNS topic of the embedded
// emulator (fauxqs), delivered to the sms-events queue by its raw subscription, consumed by the
// sms-sender's sms-events consumer: the documented JSON in, sms.status / sms.optout out.
import { PublishCommand } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useIsolatedAws, waitFor, waitForQueueEmpty } from '@platform/testkit';
import test, { type ExecutionContext } from 'ava';
import { readSmsSenderConfig } from '../../src/config.ts';
import { createReceiptHandling } from '../../src/receipts/receiptHandling.ts';
import { EUM_EVENT, eumInbound, inviteEventsCollector, silentLogger } from '../helpers/receipts.ts';

async function setup(t: ExecutionContext) {
  const aws = await useIsolatedAws(t, { queues: { smsEvents: { visibilityTimeoutSeconds: 2 } } });
  const config = readSmsSenderConfig({ ...aws.env, SMS_PROVIDER: 'sns', RECEIVE_WAIT_SECONDS: '1' });
  t.truthy(config.smsEvents, 'SMS_EVENTS_QUEUE_URL comes from the provisioned resources');
  const handling = createReceiptHandling(
    { sqs: aws.clients.sqs, ddb: aws.clients.documentClient, logger: silentLogger },
    config,
  );
  t.true((await handling.start()).smsEvents);
  t.teardown(() => handling.close());
  const publish = (event: unknown) =>
    aws.clients.sns.send(
      new PublishCommand({ TopicArn: aws.env.SMS_EVENTS_TOPIC_ARN, Message: JSON.stringify(event) }),
    );
  const drained = () =>
    waitForQueueEmpty(aws.clients.sqs, aws.env.SMS_EVENTS_QUEUE_URL!, { timeoutMs: 20_000 });
  return { aws, handling, publish, drained, events: inviteEventsCollector(aws) };
}

const sent = (
  handling: Awaited<ReturnType<typeof setup>>['handling'],
  messageId: string,
  invitationId: string,
) =>
  handling.directory.recordMessage({
    provider: 'sns',
    providerMessageId: messageId,
    invitationId,
    acceptedAt: new Date().toISOString(),
  });

test('TEXT_DELIVERED and TEXT_TTL_EXPIRED through SNS -> SQS become delivered and undelivered', async (t) => {
  const { handling, publish, events } = await setup(t);
  await sent(handling, EUM_EVENT.messageId, 'inv-eum-1');
  await sent(handling, 'msg-expired', 'inv-eum-2');
  await publish(EUM_EVENT);
  await publish({
    ...EUM_EVENT,
    eventType: 'TEXT_TTL_EXPIRED',
    messageId: 'msg-expired',
    messageStatus: 'TTL_EXPIRED',
  });
  const statuses = await waitFor(
    async () => {
      await events.drain();
      return events.statuses.length >= 2 ? events.statuses : undefined;
    },
    { description: 'two sms.status events', timeoutMs: 20_000, intervalMs: 200 },
  );
  const byId = Object.fromEntries(statuses.map((s) => [s.invitationId, s]));
  t.like(byId['inv-eum-1'], {
    status: 'delivered',
    provider: 'sns',
    providerMessageId: EUM_EVENT.messageId,
    occurredAt: new Date(EUM_EVENT.eventTimestamp).toISOString(),
  });
  t.like(byId['inv-eum-2'], { status: 'undelivered', error: { code: 'TTL_EXPIRED' } });
});

test('an event for an unknown message, and intermediate events, are dropped (the queue empties)', async (t) => {
  const { publish, drained, events } = await setup(t);
  await publish({ ...EUM_EVENT, messageId: 'never-sent-by-us' });
  await publish({ ...EUM_EVENT, eventType: 'TEXT_SUCCESSFUL' });
  await drained();
  await events.drain();
  t.deepEqual(events.statuses, []);
});

test('two-way STOP and START through SNS -> SQS change the suppression list and publish sms.optout', async (t) => {
  const { handling, publish, events } = await setup(t);
  await publish(eumInbound('+14155552671', 'STOP'));
  await waitFor(
    async () => ((await handling.directory.consentOf('+14155552671')) === 'opted-out' ? true : undefined),
    {
      description: 'opted out',
      timeoutMs: 20_000,
      intervalMs: 200,
    },
  );
  await publish(eumInbound('+14155552671', 'start'));
  await waitFor(
    async () => ((await handling.directory.consentOf('+14155552671')) === 'opted-in' ? true : undefined),
    {
      description: 'opted back in',
      timeoutMs: 20_000,
      intervalMs: 200,
    },
  );
  const optOuts = await waitFor(
    async () => {
      await events.drain();
      return events.optOuts.length >= 2 ? events.optOuts : undefined;
    },
    { description: 'two sms.optout events', timeoutMs: 10_000, intervalMs: 200 },
  );
  t.deepEqual(optOuts.map((o) => [o.action, o.source]).sort(), [
    ['opt-in', 'sns'],
    ['opt-out', 'sns'],
  ]);
});

test('a body that is neither event nor inbound message goes to the DLQ at once, with the reason', async (t) => {
  const { aws, publish, drained } = await setup(t);
  await publish({ hello: 'world' });
  await drained();
  const { Messages = [] } = await aws.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.env.SMS_EVENTS_DLQ_URL,
      WaitTimeSeconds: 2,
      MessageAttributeNames: ['All'],
    }),
  );
  t.is(Messages.length, 1);
  t.is(Messages[0]?.Body, JSON.stringify({ hello: 'world' }));
  t.is(Messages[0]?.MessageAttributes?.['dlq-reason']?.StringValue, 'MALFORMED_SMS_EVENT');
});
