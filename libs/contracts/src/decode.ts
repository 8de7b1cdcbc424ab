import type { Message } from '@aws-sdk/client-sqs';
import { ATTRIBUTE_NAMES, JSON_CONTENT_TYPE, SQS_MAX_MESSAGE_BYTES } from './constants.ts';
import { ContractViolation } from './errors.ts';
import {
  isContractName,
  isSupportedVersion,
  type ContractName,
  type ContractPayloads,
  type ContractVersion,
} from './registry.ts';
import { sqsMessageSizeBytes } from './size.ts';
import { validatePayload } from './validation.ts';

/**
 * A decoded message: a union over every contract and every supported version, so
 * `switch (decoded.contract)` (then `decoded.version`) narrows `payload` to its exact type.
 */
export type DecodedMessage = {
  [C in ContractName]: {
    [V in ContractVersion<C>]: { contract: C; version: V; payload: ContractPayloads[C][V] };
  }[ContractVersion<C>];
}[ContractName];

/** A decoded message of one contract, any supported version. */
export type DecodedMessageOf<C extends ContractName> = Extract<DecodedMessage, { contract: C }>;

// Versions are written by encodeMessage as a plain positive integer.
const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;

function requiredAttribute(message: Message, name: string): string {
  const value = message.MessageAttributes?.[name]?.StringValue;
  if (value === undefined || value === '') {
    throw new ContractViolation('MISSING_ATTRIBUTE', `Message has no "${name}" attribute`, {
      errors: [
        { path: `/MessageAttributes/${name}`, keyword: 'required', message: `must have attribute ${name}` },
      ],
    });
  }
  return value;
}

/**
 * Reads a received SQS message back into a typed payload, checking in the order that makes the
 * reason most useful: envelope attributes, known contract and version, size, JSON, schema.
 * Throws `ContractViolation` (a PermanentError): such a message can never succeed, so the
 * consumer dead-letters it with `deadLetterAttributes(violation, message.MessageAttributes)`.
 */
export function decodeMessage(message: Message): DecodedMessage {
  const contract = requiredAttribute(message, ATTRIBUTE_NAMES.contract);
  const versionText = requiredAttribute(message, ATTRIBUTE_NAMES.contractVersion);
  if (!isContractName(contract)) {
    throw new ContractViolation('UNKNOWN_CONTRACT', `Unknown contract "${contract}"`, { contract });
  }
  const version = VERSION_PATTERN.test(versionText) ? Number(versionText) : undefined;
  if (version === undefined || !isSupportedVersion(contract, version)) {
    throw new ContractViolation(
      'UNSUPPORTED_VERSION',
      `${contract} version "${versionText}" is not supported`,
      {
        contract,
        version: versionText,
      },
    );
  }

  // Absent content-type is tolerated (the contract already implies JSON); a different one is not.
  const contentType = message.MessageAttributes?.[ATTRIBUTE_NAMES.contentType]?.StringValue;
  if (contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() !== JSON_CONTENT_TYPE) {
    throw new ContractViolation('INVALID_JSON', `${contract} v${version} has content-type "${contentType}"`, {
      contract,
      version,
      errors: [
        {
          path: `/MessageAttributes/${ATTRIBUTE_NAMES.contentType}`,
          keyword: 'const',
          message: `must be ${JSON_CONTENT_TYPE}`,
        },
      ],
    });
  }

  // SQS itself never delivers more, but messages also arrive from redrive tools and tests; checking
  // before parsing keeps a huge body from being parsed at all.
  const size = sqsMessageSizeBytes(message.Body, message.MessageAttributes);
  if (size > SQS_MAX_MESSAGE_BYTES) {
    throw new ContractViolation('MESSAGE_TOO_LARGE', `${contract} v${version} message is ${size} bytes`, {
      contract,
      version,
      errors: [{ path: '/', keyword: 'maxSize', message: `must be at most ${SQS_MAX_MESSAGE_BYTES} bytes` }],
    });
  }

  if (message.Body === undefined) {
    throw new ContractViolation('INVALID_JSON', `${contract} v${version} message has no body`, {
      contract,
      version,
      errors: [{ path: '/', keyword: 'json', message: 'must have a JSON body' }],
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.Body);
  } catch {
    // The SyntaxError is deliberately dropped: V8 quotes part of the input in its message, and the
    // body may hold a phone number that must not reach logs or DLQ attributes.
    throw new ContractViolation('INVALID_JSON', `${contract} v${version} body is not valid JSON`, {
      contract,
      version,
      errors: [{ path: '/', keyword: 'json', message: 'must be valid JSON' }],
    });
  }

  const result = validatePayload(contract, parsed, version);
  if (!result.valid) {
    throw new ContractViolation('SCHEMA_VIOLATION', `${contract} v${version} payload fails its schema`, {
      contract,
      version,
      errors: result.errors,
    });
  }
  return { contract, version, payload: result.payload } as DecodedMessage;
}
