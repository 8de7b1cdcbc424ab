import type { ProviderName } from '../providers/types.ts';

/**
 * A provider's report about a message it had accepted, in the sender's vocabulary. Each source
 * (Twilio status callback, End User Messaging event, local outbox) maps its own format to this once.
 */
export interface DeliveryReceipt {
  provider: ProviderName;
  /** The id the provider returned when it accepted the message. */
  providerMessageId: string;
  /** delivered: on the handset; undelivered: the carrier gave up; failed: the provider gave up. */
  outcome: 'delivered' | 'undelivered' | 'failed';
  /** Required unless delivered. Never contains a phone number. */
  error?: { code: string; message: string };
  /** When the provider says it happened (or when we received it, if the provider does not say). */
  occurredAt: string;
  /** An invitation id the source carries itself (EUM `context`), used when the directory has none. */
  invitationIdHint?: string | undefined;
}

/**
 * Codes of an undelivered/failed receipt (the `error.code` of the `sms.status` event), shared by
 * every provider so the invite page and dashboards read one vocabulary.
 */
export type ReceiptErrorCode =
  | 'CARRIER_UNREACHABLE'
  | 'CARRIER_BLOCKED'
  | 'TTL_EXPIRED'
  | 'INVALID_PHONE_NUMBER'
  | 'OPTED_OUT'
  | 'DELIVERY_FAILED';
