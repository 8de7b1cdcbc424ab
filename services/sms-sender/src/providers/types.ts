/**
 * The one port every SMS vendor sits behind. The sender depends on this interface only, never on
 * an SDK: swapping SNS for Twilio or the local outbox is a config value, and tests put a fake
 * behind the port only where nothing emulates the vendor.
 */
export type ProviderName = 'sns' | 'twilio' | 'local';

export interface SmsSendRequest {
  /** Recipient in E.164. */
  to: string;
  body: string;
  /**
   * Stable per invitation. Providers with an idempotency mechanism use it so a resend after an
   * ambiguous failure is collapsed by the provider; SNS and Twilio's Messages API have none, so
   * for them it is only recorded (see docs/sms-pipeline.md, "crash windows").
   */
  idempotencyKey: string;
  /** Aborts the call (shutdown, lost lease, per-call timeout). */
  signal: AbortSignal;
}

export interface SmsSendResult {
  /** The provider's id for the accepted message (SNS MessageId, Twilio SID, local outbox id). */
  providerMessageId: string;
}

export interface SmsProvider {
  readonly name: ProviderName;
  /**
   * Hands one SMS to the provider. Resolves once the provider ACCEPTED it (not delivered).
   * Rejects with SmsPermanentFailure or SmsTransientFailure only: each adapter maps its vendor's
   * errors exactly once.
   */
  send(request: SmsSendRequest): Promise<SmsSendResult>;
}
