import type { DeliveryReceipt, ReceiptErrorCode } from './deliveryReceipt.ts';

/**
 * Twilio status callback (form fields `MessageSid`, `MessageStatus`, `ErrorCode`, ...) -> receipt.
 * `queued`, `accepted`, `scheduled`, `sending` and `sent` are steps before the handset: sms-sender
 * already published `sent` when the API accepted the message, so they are ignored (undefined).
 * `read` (channels with read receipts) implies delivered.
 */
const FINAL: Record<string, DeliveryReceipt['outcome']> = {
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

// Twilio error codes of delivery (https://www.twilio.com/docs/api/errors, 30xxx: carrier/handset).
const ERROR_CODES: Record<string, ReceiptErrorCode> = {
  '30003': 'CARRIER_UNREACHABLE', // Unreachable destination handset
  '30005': 'CARRIER_UNREACHABLE', // Unknown destination handset
  '30006': 'CARRIER_UNREACHABLE', // Landline or unreachable carrier
  '30004': 'CARRIER_BLOCKED', // Message blocked
  '30007': 'CARRIER_BLOCKED', // Message filtered (carrier violation)
  '30034': 'CARRIER_BLOCKED', // US A2P 10DLC: message from an unregistered number
  '30001': 'TTL_EXPIRED', // Queue overflow
  '30036': 'TTL_EXPIRED', // Validity period expired
  '21610': 'OPTED_OUT', // Attempt to send to unsubscribed recipient
  '21211': 'INVALID_PHONE_NUMBER', // Invalid 'To' phone number
  '21614': 'INVALID_PHONE_NUMBER', // 'To' number is not a valid mobile number
};

export function receiptFromTwilioCallback(
  params: Readonly<Record<string, string>>,
  receivedAt: string,
): DeliveryReceipt | undefined {
  const sid = params.MessageSid ?? params.SmsSid;
  const status = (params.MessageStatus ?? params.SmsStatus ?? '').toLowerCase();
  const outcome = FINAL[status];
  if (sid === undefined || sid === '' || outcome === undefined) return undefined;
  const receipt: DeliveryReceipt = {
    provider: 'twilio',
    providerMessageId: sid,
    outcome,
    occurredAt: receivedAt,
  };
  if (outcome !== 'delivered') {
    const twilioCode = /^\d{1,6}$/.test(params.ErrorCode ?? '') ? params.ErrorCode : undefined;
    receipt.error = {
      code: (twilioCode !== undefined ? ERROR_CODES[twilioCode] : undefined) ?? 'DELIVERY_FAILED',
      message: `Twilio ${status}${twilioCode === undefined ? '' : ` (error ${twilioCode})`}`,
    };
  }
  return receipt;
}
