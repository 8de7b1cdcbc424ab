// SNS direct-to-phone Publish is the one boundary nothing here emulates (fauxqs has no SMS), so the
// provider is tested against FAKES: a fake SNS client that records each PublishCommand, and a fake
// SNS HTTP endpoint speaking the awsQuery protocol so the real SDK parses real error responses.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SNSClient,
  type PublishCommand,
  type PublishCommandInput,
  type PublishCommandOutput,
} from '@aws-sdk/client-sns';
import test from 'ava';
import { SmsPermanentFailure, SmsTransientFailure } from '../../src/errors.ts';
import { createSnsProvider, type SnsPublisher } from '../../src/providers/sns.ts';

/** A fake SNS client: records every Publish input and answers with `answer`. */
class FakeSnsClient implements SnsPublisher {
  readonly calls: Array<{ input: PublishCommandInput; abortSignal: AbortSignal | undefined }> = [];
  answer: () => Promise<PublishCommandOutput> = async () => ({ MessageId: 'sns-msg-1', $metadata: {} });

  async send(
    command: PublishCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<PublishCommandOutput> {
    this.calls.push({ input: command.input, abortSignal: options?.abortSignal });
    return this.answer();
  }
}

const request = (signal = new AbortController().signal) => ({
  to: '+14155552671',
  body: 'Ada invited you. Use code APP-8F3K92: https://app.example/invite/APP-8F3K92',
  idempotencyKey: 'inv-1',
  signal,
});

test('Publish goes to the phone number with SMSType Transactional set explicitly', async (t) => {
  const sns = new FakeSnsClient();
  const provider = createSnsProvider({ sns });
  const signal = new AbortController().signal;

  const result = await provider.send(request(signal));

  t.deepEqual(result, { providerMessageId: 'sns-msg-1' });
  t.is(sns.calls.length, 1);
  const { input, abortSignal } = sns.calls[0]!;
  t.is(input.PhoneNumber, '+14155552671');
  t.is(input.TopicArn, undefined);
  t.is(input.Message, request().body);
  t.deepEqual(input.MessageAttributes, {
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  });
  t.is(abortSignal, signal, 'the caller signal reaches the SDK so shutdown can abort the call');
});

test('sender id and origination number are sent when configured', async (t) => {
  const sns = new FakeSnsClient();
  const provider = createSnsProvider({ sns }, { senderId: 'MyApp', originationNumber: '+18005550100' });

  await provider.send(request());

  t.deepEqual(sns.calls[0]!.input.MessageAttributes, {
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'MyApp' },
    'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: '+18005550100' },
  });
});

test('an SDK error is mapped once, at the adapter', async (t) => {
  const sns = new FakeSnsClient();
  sns.answer = () =>
    Promise.reject(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottledException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
  const provider = createSnsProvider({ sns });

  const error = await t.throwsAsync(provider.send(request()), { instanceOf: SmsTransientFailure });
  t.is(error.code, 'PROVIDER_THROTTLED');
});

test('an answer without MessageId is an unknown outcome, not a success', async (t) => {
  const sns = new FakeSnsClient();
  sns.answer = async () => ({ $metadata: { httpStatusCode: 200 } });
  const provider = createSnsProvider({ sns });

  const error = await t.throwsAsync(provider.send(request()), { instanceOf: SmsTransientFailure });
  t.is(error.outcome, 'unknown');
});

// --- The real SDK against a fake SNS endpoint (awsQuery XML), so error parsing is the SDK's own. ---

interface FakeSnsEndpoint {
  url: string;
  forms: URLSearchParams[];
  close(): Promise<void>;
}

/** Answers Publish like SNS does: XML body, an error for numbers ending 0001 (opted out) and 0002 (throttled). */
async function startFakeSnsEndpoint(): Promise<FakeSnsEndpoint> {
  const forms: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      forms.push(form);
      const phone = form.get('PhoneNumber') ?? '';
      const error = (status: number, type: string, code: string, message: string) =>
        res
          .writeHead(status, { 'content-type': 'text/xml' })
          .end(
            `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
          );
      if (phone.endsWith('0001')) return error(400, 'Sender', 'OptedOut', 'Phone number is opted out');
      if (phone.endsWith('0002')) return error(400, 'Sender', 'Throttled', 'Rate exceeded');
      if (phone.endsWith('0003')) {
        return error(
          400,
          'Sender',
          'InvalidParameter',
          `Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`,
        );
      }
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>0f1e2d3c-fake</MessageId></PublishResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></PublishResponse>',
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forms,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('through the real SNS SDK: the wire request and parsed SNS errors map as the table says', async (t) => {
  const endpoint = await startFakeSnsEndpoint();
  const sns = new SNSClient({
    region: 'us-east-1',
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  t.teardown(async () => {
    sns.destroy();
    await endpoint.close();
  });
  const provider = createSnsProvider({ sns }, { senderId: 'MyApp' });
  const send = (to: string) => provider.send({ ...request(), to });

  t.deepEqual(await send('+14155552671'), { providerMessageId: '0f1e2d3c-fake' });
  const form = endpoint.forms[0]!;
  t.is(form.get('Action'), 'Publish');
  t.is(form.get('PhoneNumber'), '+14155552671');
  const attributes = new Map<string, string | null>();
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    attributes.set(
      form.get(`MessageAttributes.entry.${i}.Name`)!,
      form.get(`MessageAttributes.entry.${i}.Value.StringValue`),
    );
  }
  t.is(attributes.get('AWS.SNS.SMS.SMSType'), 'Transactional');
  t.is(attributes.get('AWS.SNS.SMS.SenderID'), 'MyApp');

  const optedOut = await t.throwsAsync(send('+14155550001'), { instanceOf: SmsPermanentFailure });
  t.is(optedOut.code, 'OPTED_OUT');
  t.is(optedOut.providerCode, 'OptedOutException');
  const throttled = await t.throwsAsync(send('+14155550002'), { instanceOf: SmsTransientFailure });
  t.is(throttled.code, 'PROVIDER_THROTTLED');
  const invalid = await t.throwsAsync(send('+14155550003'), { instanceOf: SmsPermanentFailure });
  t.is(invalid.code, 'INVALID_PHONE_NUMBER');
  t.notRegex(invalid.message, /4155550003/);
});
