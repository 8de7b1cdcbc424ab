// Shared by the receipt and opt-out tests: the documented End User Messaging JSON, Twilio request
// signing (the official package's own algorithm), an invite-events collector and invite-api.
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { decodeMessage, type SmsOptOut, type SmsStatus } from '@platform/contracts';
import { runService, type IsolatedAws, type RunningService } from '@platform/testkit';
import type { ConsumerLogger } from '@platform/reliable-consumer';
import type { ExecutionContext } from 'ava';
import twilio from 'twilio';
import { LOCAL_DEV_JWT, mintToken } from '../../../invite-api/src/auth/mintToken.ts';

/** A logger for in-process parts whose log lines a test does not read. */
export const silentLogger: ConsumerLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/** The SMS example event of the End User Messaging SMS user guide ("Event data"), delivered. */
export const EUM_EVENT = {
  eventType: 'TEXT_DELIVERED',
  eventVersion: '1.0',
  eventTimestamp: 1686975103470,
  isFinal: true,
  originationPhoneNumber: '+12065550152',
  destinationPhoneNumber: '+14255550156',
  isInternationalSend: false,
  mcc: '310',
  mnc: '800',
  messageId: '862a8790-60c0-4430-9b2b-658bdexample',
  messageRequestTimestamp: 1686975103170,
  messageEncoding: 'GSM',
  messageType: 'TRANSACTIONAL',
  messageStatus: 'DELIVERED',
  messageStatusDescription: 'Message has been delivered',
  context: { account: 'bar' },
  totalMessageParts: 1,
  totalMessagePrice: 0.09582,
  totalCarrierFee: 0.0,
};

/** The two-way SMS payload of the same guide ("Two-way SMS payload"). */
export function eumInbound(from: string, body: string) {
  return {
    originationNumber: from,
    destinationNumber: '+12125550101',
    messageKeyword: 'KEYWORD_123456789012',
    messageBody: body,
    inboundMessageId: `in-${Math.random().toString(36).slice(2)}`,
    previousPublishedMessageId: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
}

export const TEST_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TEST_AUTH_TOKEN = 'test-auth-token-not-a-secret';

/** What Twilio sends: the form, signed over the public URL with the auth token. */
export async function postSignedToTwilioWebhook(
  publicUrl: string,
  boundUrl: string,
  params: Record<string, string>,
  options: { authToken?: string; signature?: string | null } = {},
): Promise<Response> {
  const signature =
    options.signature === undefined
      ? twilio.getExpectedTwilioSignature(options.authToken ?? TEST_AUTH_TOKEN, publicUrl, params)
      : options.signature;
  return fetch(boundUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature === null ? {} : { 'x-twilio-signature': signature }),
    },
    body: new URLSearchParams(params),
  });
}

/** Every event on invite-events (standing in for invite-api), drained and deleted on each call. */
export function inviteEventsCollector(aws: IsolatedAws) {
  const statuses: SmsStatus[] = [];
  const optOuts: SmsOptOut[] = [];
  return {
    statuses,
    optOuts,
    async drain(): Promise<void> {
      const { Messages = [] } = await aws.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.urls.inviteEvents,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        const decoded = decodeMessage(message);
        if (decoded.contract === 'sms.status') statuses.push(decoded.payload);
        else if (decoded.contract === 'sms.optout') optOuts.push(decoded.payload);
      }
      if (Messages.length > 0) {
        await aws.clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.urls.inviteEvents,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
  };
}

export interface RunningInviteApi {
  service: RunningService;
  baseUrl: string;
}

export async function startInviteApi(t: ExecutionContext, aws: IsolatedAws): Promise<RunningInviteApi> {
  const service = runService(t, {
    name: 'invite-api',
    entry: 'services/invite-api/src/main.ts',
    env: {
      ...aws.env,
      OTEL_SERVICE_NAME: 'invite-api',
      PORT: '0',
      JWT_SECRET: LOCAL_DEV_JWT.secret,
      LOG_LEVEL: 'info',
      METRICS_SINK: 'none',
      INVITE_EVENTS_WAIT_SECONDS: '1',
      REFERRAL_BASE_URL: 'https://app.example',
    },
  });
  const listening = await service.waitForLog((line) => line.json?.msg === 'invite-api listening', 60_000);
  return { service, baseUrl: `http://127.0.0.1:${Number(listening.json?.port)}` };
}

export function tokenFor(sub: string): Promise<string> {
  return mintToken({
    sub,
    name: 'Ada Lovelace',
    secret: LOCAL_DEV_JWT.secret,
    issuer: LOCAL_DEV_JWT.issuer,
    audience: LOCAL_DEV_JWT.audience,
    ttlSeconds: 600,
  });
}

export async function invite(
  api: RunningInviteApi,
  token: string,
  phoneNumber: string,
): Promise<{
  status: number;
  body: Record<string, unknown> & { invitationId?: string; error?: { code: string } };
}> {
  const response = await fetch(`${api.baseUrl}/api/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumber }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

export async function invitationStatus(
  api: RunningInviteApi,
  token: string,
  invitationId: string,
): Promise<string> {
  const response = await fetch(`${api.baseUrl}/api/invitations/${invitationId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const { invitation } = (await response.json()) as { invitation: { status: string } };
  return invitation.status;
}
