import { PublishCommand, type MessageAttributeValue, type PublishCommandOutput } from '@aws-sdk/client-sns';
import { classifyError, sdkErrorInfo } from '@platform/errors';
import { SmsPermanentFailure, SmsTransientFailure, type SmsSendError } from '../errors.ts';
import { networkFailureOf } from './networkErrors.ts';
import { redactPhoneNumbers } from './redact.ts';
import type { SmsProvider } from './types.ts';

/** What the adapter needs from an SNSClient: one `send` of a PublishCommand (ports, not the SDK). */
export interface SnsPublisher {
  send(command: PublishCommand, options?: { abortSignal?: AbortSignal }): Promise<PublishCommandOutput>;
}

export interface SnsProviderDeps {
  /**
   * Build it with `maxAttempts: 1` (main.ts does): every attempt must go through the ledger and the
   * rate limiter, and an SDK-internal retry after a lost response would be an invisible second SMS.
   */
  sns: SnsPublisher;
}

export interface SnsProviderOptions {
  /** Alphanumeric sender id (1-11 characters, at least one letter), where the destination country supports it. */
  senderId?: string | undefined;
  /** A number (E.164) or pool the account owns to send from (`AWS.MM.SMS.OriginationNumber`). */
  originationNumber?: string | undefined;
}

// SMS attributes of Publish, see "Publishing SMS messages to a mobile phone" in the SNS developer guide.
const SMS_TYPE = 'AWS.SNS.SMS.SMSType';
const SENDER_ID = 'AWS.SNS.SMS.SenderID';
const ORIGINATION_NUMBER = 'AWS.MM.SMS.OriginationNumber';

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * SNS direct-to-phone Publish. The SMS type is set explicitly on every message: the account default
 * may be Promotional, which carriers may drop or delay and which some countries route differently;
 * an invitation is Transactional. SNS has no idempotency key for Publish, so `idempotencyKey` is
 * only known to our own ledger.
 */
export function createSnsProvider(deps: SnsProviderDeps, options: SnsProviderOptions = {}): SmsProvider {
  const attributes: Record<string, MessageAttributeValue> = { [SMS_TYPE]: text('Transactional') };
  if (options.senderId) attributes[SENDER_ID] = text(options.senderId);
  if (options.originationNumber) attributes[ORIGINATION_NUMBER] = text(options.originationNumber);

  return {
    name: 'sns',
    async send({ to, body, signal }) {
      let output: PublishCommandOutput;
      try {
        output = await deps.sns.send(
          new PublishCommand({ PhoneNumber: to, Message: body, MessageAttributes: { ...attributes } }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw mapSnsError(error);
      }
      if (!output.MessageId) {
        // Publish answered 200 without an id: accepted, but we cannot prove it; say so loudly.
        throw new SmsTransientFailure({
          code: 'PROVIDER_UNAVAILABLE',
          message: 'SNS Publish returned no MessageId',
          provider: 'sns',
          providerCode: undefined,
          outcome: 'unknown',
        });
      }
      return { providerMessageId: output.MessageId };
    },
  };
}

// Exceptions named in the SNS API reference for Publish (and the SMS sandbox / opt-out APIs).
const THROTTLED = new Set([
  'ThrottledException',
  'KMSThrottlingException',
  'Throttling',
  'ThrottlingException',
]);
const MISCONFIGURED = new Set([
  'AuthorizationErrorException',
  'InvalidSecurityException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);
const INVALID_PARAMETER = new Set([
  'InvalidParameterException',
  'InvalidParameterValueException',
  'ValidationException',
]);

/**
 * Maps one SNS (AWS SDK v3) error to the sender's vocabulary. The ONLY place SNS errors are read.
 *
 * - OptedOutException, or an InvalidParameter naming an opted-out number: OPTED_OUT, permanent.
 * - InvalidParameter about `PhoneNumber`: INVALID_PHONE_NUMBER, permanent. Any other invalid
 *   parameter is our request's fault (an attribute): PROVIDER_REJECTED, permanent.
 * - Throttling: transient. Credentials/permissions/KMS: PROVIDER_MISCONFIGURED, transient, so
 *   messages wait (and the alarm fires) instead of failing invitations for an operator's mistake.
 * - 5xx / server fault, network failures: transient. Anything else: `classifyError` decides.
 */
export function mapSnsError(error: unknown): SmsSendError {
  const { name, message, status, fault } = sdkErrorInfo(error);
  const base = { provider: 'sns' as const, providerCode: name, httpStatus: status, cause: error };
  const safeMessage = redactPhoneNumbers(message);

  if (name === 'OptedOutException' || (INVALID_PARAMETER.has(name) && /opted[\s-]?out/i.test(message))) {
    return new SmsPermanentFailure({
      ...base,
      code: 'OPTED_OUT',
      message: `SNS: recipient opted out (${name})`,
    });
  }
  if (INVALID_PARAMETER.has(name)) {
    const aboutPhone = /phone\s?number/i.test(message);
    return new SmsPermanentFailure({
      ...base,
      code: aboutPhone ? 'INVALID_PHONE_NUMBER' : 'PROVIDER_REJECTED',
      message: `SNS ${name}: ${safeMessage}`,
    });
  }
  if (name === 'EndpointDisabledException' || name === 'PlatformApplicationDisabledException') {
    return new SmsPermanentFailure({
      ...base,
      code: 'PROVIDER_REJECTED',
      message: `SNS ${name}: ${safeMessage}`,
    });
  }
  if (THROTTLED.has(name) || status === 429) {
    return new SmsTransientFailure({
      ...base,
      code: 'PROVIDER_THROTTLED',
      message: `SNS ${name}`,
      outcome: 'not-sent',
    });
  }
  if (MISCONFIGURED.has(name) || status === 401 || status === 403) {
    return new SmsTransientFailure({
      ...base,
      code: 'PROVIDER_MISCONFIGURED',
      message: `SNS ${name}: ${safeMessage}`,
      outcome: 'not-sent',
    });
  }
  if (fault === 'server' || (status !== undefined && status >= 500)) {
    // A 5xx is an answer, but SNS may have queued the message before failing the response.
    return new SmsTransientFailure({
      ...base,
      code: 'PROVIDER_UNAVAILABLE',
      message: `SNS ${name}: ${safeMessage}`,
      outcome: 'unknown',
    });
  }
  const network = networkFailureOf(error);
  if (network !== undefined) {
    return new SmsTransientFailure({
      ...base,
      providerCode: network.code,
      code: 'PROVIDER_UNREACHABLE',
      message: `SNS unreachable: ${network.code}`,
      outcome: network.outcome,
    });
  }
  const classified = classifyError(error);
  return classified.kind === 'permanent'
    ? new SmsPermanentFailure({ ...base, code: 'PROVIDER_REJECTED', message: `SNS ${name}: ${safeMessage}` })
    : new SmsTransientFailure({
        ...base,
        code: 'PROVIDER_UNAVAILABLE',
        message: `SNS ${name}: ${safeMessage}`,
        outcome: status === undefined ? 'unknown' : 'not-sent',
      });
}
