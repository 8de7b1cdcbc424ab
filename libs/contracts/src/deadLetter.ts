import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  ATTRIBUTE_NAMES,
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

/**
 * Message attributes for re-sending a message to its DLQ: `dlq-reason` and `dlq-detail`, plus as
 * many of the original attributes as fit in SQS's 10, kept in this order: the envelope
 * (contract, version, content type), then trace context (so the DLQ entry stays on its trace),
 * then anything else the producer set.
 */
export function deadLetterAttributes(
  failure: ContractViolation | DeadLetterReason,
  original: Readonly<Record<string, MessageAttributeValue>> = {},
): Record<string, MessageAttributeValue> {
  const { reason, detail } = failure instanceof ContractViolation ? deadLetterReasonOf(failure) : failure;
  const added: Record<string, MessageAttributeValue> = {
    [ATTRIBUTE_NAMES.dlqReason]: { DataType: 'String', StringValue: reason },
  };
  // SQS refuses empty attribute values, so an empty detail is left out rather than sent blank.
  if (detail !== undefined && detail !== '') {
    added[ATTRIBUTE_NAMES.dlqDetail] = {
      DataType: 'String',
      StringValue: truncate(detail, MAX_DLQ_DETAIL_CHARS),
    };
  }

  const priority: readonly string[] = [...ENVELOPE_ATTRIBUTE_NAMES, ...TRACE_ATTRIBUTE_NAMES];
  const names = Object.keys(original)
    // A message dead-lettered before (e.g. redriven, then refused again) carries an old reason: drop it.
    .filter((name) => name !== ATTRIBUTE_NAMES.dlqReason && name !== ATTRIBUTE_NAMES.dlqDetail)
    .sort((a, b) => rank(priority, a) - rank(priority, b));
  const kept: Record<string, MessageAttributeValue> = {};
  for (const name of names.slice(0, SQS_MAX_MESSAGE_ATTRIBUTES - Object.keys(added).length)) {
    kept[name] = original[name]!;
  }
  return { ...kept, ...added };
}

function rank(priority: readonly string[], name: string): number {
  const index = priority.indexOf(name);
  return index === -1 ? priority.length : index;
}
