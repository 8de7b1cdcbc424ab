import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  ATTRIBUTE_NAMES,
  DEAD_LETTER_ATTRIBUTE_NAMES,
  ENVELOPE_ATTRIBUTE_NAMES,
  MAX_DLQ_DETAIL_CHARS,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  TRACE_ATTRIBUTE_NAMES,
} from './constants.ts';
import { ContractViolation } from './errors.ts';

/** Why a message is dead-lettered: a stable reason code and a short, PII-free detail. */
export interface DeadLetterReason {
  reason: string;
  detail?: string;
}

/** The reason and detail for a contract violation: `SCHEMA_VIOLATION` and its first errors. */
export function deadLetterReasonOf(violation: ContractViolation): DeadLetterReason {
  const subject =
    violation.contract === undefined ? '' : `${violation.contract} v${violation.version ?? '?'}: `;
  const errors = violation.errors
    .map((error) => `${error.path} ${error.keyword}: ${error.message}`)
    .join('; ');
  return { reason: violation.reason, detail: subject + (errors === '' ? violation.message : errors) };
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** Where and when a message was dead-lettered, written by a consumer that copies it to the DLQ itself. */
export interface DeadLetterProvenance {
  /** The queue the message was received from (`dlq-source-queue`; where a redrive sends it back). */
  sourceQueueUrl: string;
  /** `dlq-failed-at`, ISO 8601. */
  failedAt: Date;
}

/**
 * Message attributes for re-sending a message to its DLQ: `dlq-reason` and `dlq-detail` (and, given
 * a provenance, `dlq-source-queue` and `dlq-failed-at`), plus as many of the original attributes as
 * fit in SQS's 10, kept in this order: the envelope (contract, version, content type), then trace
 * context (so the DLQ entry stays on its trace), then anything else the producer set, by name.
 * Originals that did not fit are named in `dlq-detail`, so nothing vanishes silently.
 */
export function deadLetterAttributes(
  failure: ContractViolation | DeadLetterReason,
  original: Readonly<Record<string, MessageAttributeValue>> = {},
  provenance?: DeadLetterProvenance,
): Record<string, MessageAttributeValue> {
  const { reason, detail } = failure instanceof ContractViolation ? deadLetterReasonOf(failure) : failure;
  const stringValue = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
  const added: Record<string, MessageAttributeValue> = {
    [ATTRIBUTE_NAMES.dlqReason]: stringValue(reason),
  };
  if (provenance !== undefined) {
    added[ATTRIBUTE_NAMES.dlqSourceQueue] = stringValue(provenance.sourceQueueUrl);
    added[ATTRIBUTE_NAMES.dlqFailedAt] = stringValue(provenance.failedAt.toISOString());
  }

  const priority: readonly string[] = [...ENVELOPE_ATTRIBUTE_NAMES, ...TRACE_ATTRIBUTE_NAMES];
  const stale: readonly string[] = DEAD_LETTER_ATTRIBUTE_NAMES;
  const names = Object.keys(original)
    // A message dead-lettered before (e.g. redriven, then refused again) carries an old reason: drop it.
    .filter((name) => !stale.includes(name))
    .sort((a, b) => rank(priority, a) - rank(priority, b) || a.localeCompare(b));
  // dlq-detail is counted whenever it will be written: a non-empty detail, or dropped names to list.
  const room = SQS_MAX_MESSAGE_ATTRIBUTES - Object.keys(added).length;
  const withDetail = detail !== undefined && detail !== '' ? room - 1 : names.length > room ? room - 1 : room;
  const kept: Record<string, MessageAttributeValue> = {};
  for (const name of names.slice(0, withDetail)) kept[name] = original[name]!;
  const dropped = names.slice(withDetail);

  const note = dropped.length > 0 ? `(attributes dropped to fit 10: ${dropped.join(', ')})` : '';
  const fullDetail = [detail ?? '', note].filter((part) => part !== '').join(' ');
  // SQS refuses empty attribute values, so an empty detail is left out rather than sent blank.
  if (fullDetail !== '') {
    added[ATTRIBUTE_NAMES.dlqDetail] = stringValue(truncate(fullDetail, MAX_DLQ_DETAIL_CHARS));
  }
  return { ...kept, ...added };
}
function rank(priority: readonly string[], name: string): number {
  const index = priority.indexOf(name);
  return index === -1 ? priority.length : index;
}
