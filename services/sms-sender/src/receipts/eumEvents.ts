import type { DeliveryReceipt, ReceiptErrorCode } from './deliveryReceipt.ts';

/**
 * AWS End User Messaging SMS messages arriving on the sms-events queue (SNS topic, raw delivery):
 * - delivery events of a configuration set's SNS event destination
 *   (`{ eventType: 'TEXT_DELIVERED', messageId, eventTimestamp, isFinal, context, ... }`), and
 * - two-way SMS inbound messages
 *   (`{ originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId, ... }`).
 * Both documented in the End User Messaging SMS user guide ("Event data", "Two-way SMS payload").
 * A subscription without raw delivery wraps the JSON in an SNS notification; that is unwrapped too.
 */
export type EumMessage =
  | { kind: 'receipt'; receipt: DeliveryReceipt }
  | { kind: 'inbound'; from: string; body: string; inboundMessageId: string }
  /** A known event type that does not change an invitation (TEXT_QUEUED, TEXT_SUCCESSFUL, ...). */
  | { kind: 'ignored'; eventType: string }
  | { kind: 'malformed'; reason: string };

/**
 * Final event types -> receipt. TEXT_SUCCESSFUL means the carrier accepted the message, not that
 * the handset got it, so it (like QUEUED/PENDING/SENT) leaves the invitation at sent. TEXT_UNKNOWN
 * (no final word from the carrier after 72 h) is not a failure either.
 */
const FINAL: Record<string, { outcome: 'delivered' } | { outcome: 'undelivered'; code: ReceiptErrorCode }> = {
  TEXT_DELIVERED: { outcome: 'delivered' },
  TEXT_BLOCKED: { outcome: 'undelivered', code: 'CARRIER_BLOCKED' },
  TEXT_CARRIER_BLOCKED: { outcome: 'undelivered', code: 'CARRIER_BLOCKED' },
  TEXT_SPAM: { outcome: 'undelivered', code: 'CARRIER_BLOCKED' },
  TEXT_PROTECT_BLOCKED: { outcome: 'undelivered', code: 'CARRIER_BLOCKED' },
  TEXT_TTL_EXPIRED: { outcome: 'undelivered', code: 'TTL_EXPIRED' },
  TEXT_CARRIER_UNREACHABLE: { outcome: 'undelivered', code: 'CARRIER_UNREACHABLE' },
  TEXT_UNREACHABLE: { outcome: 'undelivered', code: 'CARRIER_UNREACHABLE' },
  TEXT_INVALID: { outcome: 'undelivered', code: 'INVALID_PHONE_NUMBER' },
  TEXT_INVALID_MESSAGE: { outcome: 'undelivered', code: 'DELIVERY_FAILED' },
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function unwrap(body: string): unknown {
  const parsed: unknown = JSON.parse(body);
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    (parsed as { Type?: unknown }).Type === 'Notification' &&
    typeof (parsed as { Message?: unknown }).Message === 'string'
  ) {
    return JSON.parse((parsed as { Message: string }).Message);
  }
  return parsed;
}

export function parseEumMessage(body: string | undefined, receivedAt: string): EumMessage {
  let value: unknown;
  try {
    value = unwrap(body ?? '');
  } catch {
    return { kind: 'malformed', reason: 'body is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'malformed', reason: 'body is not a JSON object' };
  const event = value as Record<string, unknown>;

  const eventType = str(event.eventType);
  if (eventType !== undefined) {
    const messageId = str(event.messageId);
    if (messageId === undefined || messageId.length > 256)
      return { kind: 'malformed', reason: 'event without messageId' };
    const final = FINAL[eventType];
    if (final === undefined) return { kind: 'ignored', eventType };
    const at =
      typeof event.eventTimestamp === 'number' ? new Date(event.eventTimestamp) : new Date(receivedAt);
    const context =
      typeof event.context === 'object' && event.context !== null
        ? (event.context as Record<string, unknown>)
        : {};
    const receipt: DeliveryReceipt = {
      provider: 'sns',
      providerMessageId: messageId,
      outcome: final.outcome,
      occurredAt: Number.isNaN(at.getTime()) ? receivedAt : at.toISOString(),
      invitationIdHint: str(context.invitationId),
    };
    if (final.outcome === 'undelivered') {
      // messageStatusDescription is the carrier's text; it never carries the number, but redact anyway.
      const description = str(event.messageStatusDescription);
      receipt.error = {
        code: final.code,
        message: `${eventType}${description === undefined ? '' : `: ${description}`}`,
      };
    }
    return { kind: 'receipt', receipt };
  }

  const from = str(event.originationNumber);
  const inboundMessageId = str(event.inboundMessageId);
  if (from !== undefined && inboundMessageId !== undefined) {
    return {
      kind: 'inbound',
      from,
      body: typeof event.messageBody === 'string' ? event.messageBody : '',
      inboundMessageId,
    };
  }
  return { kind: 'malformed', reason: 'neither a delivery event nor an inbound message' };
}
