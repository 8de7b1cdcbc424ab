import type { MessageAttributeValue, SendMessageRequest } from '@aws-sdk/client-sqs';
import type { Context } from '@opentelemetry/api';
import { injectTraceContext } from '@platform/telemetry';
import { ATTRIBUTE_NAMES, JSON_CONTENT_TYPE, SQS_MAX_MESSAGE_BYTES } from './constants.ts';
import { ContractViolation, type ContractErrorDetail } from './errors.ts';
import {
  LATEST_VERSION,
  isContractName,
  isSupportedVersion,
  type ContractName,
  type ContractPayload,
  type ContractVersion,
  type LatestVersion,
} from './registry.ts';
import { sqsMessageSizeBytes } from './size.ts';
import { asciiJson, labelSqsRefusedCharacters, sqsRefusedCharacter } from './sqsText.ts';
import { validateVersion } from './validation.ts';

export interface EncodeOptions<V extends number = number> {
  /** Contract version to write; defaults to the latest. Write N-1 only while consumers still lag. */
  version?: V;
  /** Passed through as `DelaySeconds` (0-900, standard queues only). */
  delaySeconds?: number;
  /** Passed through as `MessageDeduplicationId` (FIFO queues). */
  messageDeduplicationId?: string;
  /** Passed through as `MessageGroupId` (FIFO queues, or fair queues). */
  messageGroupId?: string;
  /**
   * Largest message to accept, in bytes. Defaults to the SQS limit; set it to the queue's
   * `MaximumMessageSize` attribute when that is configured lower.
   */
  maxMessageBytes?: number;
  /** Trace context to inject; defaults to the active context. */
  context?: Context;
}

/** A `SendMessage` input without `QueueUrl`: spread it into `new SendMessageCommand({ QueueUrl, ...encoded })`. */
export type EncodedMessage = Omit<SendMessageRequest, 'QueueUrl' | 'MessageBody' | 'MessageAttributes'> & {
  MessageBody: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
};

// SQS DelaySeconds range: 0 to 900 seconds (15 minutes).
// Source: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
const MAX_DELAY_SECONDS = 900;

function assertDelaySeconds(delaySeconds: number): void {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(
      `delaySeconds must be an integer between 0 and ${MAX_DELAY_SECONDS}, got ${delaySeconds}`,
    );
  }
}

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/** The JSON body and the value a consumer parses from it, after checking that this value satisfies the schema. */
function serialiseValid(
  contract: ContractName,
  version: number,
  payload: unknown,
): { body: string; value: unknown } {
  // `undefined` when the payload itself is undefined (or a function): the schema then refuses it.
  let body: string | undefined;
  try {
    body = JSON.stringify(payload);
  } catch (cause) {
    // BigInt values and cycles cannot be written as JSON at all.
    throw new ContractViolation(
      'INVALID_JSON',
      `${contract} v${version} payload cannot be serialised as JSON`,
      {
        contract,
        version,
        cause,
      },
    );
  }
  // Validate what the consumer will parse, not the object in memory: JSON drops `undefined`
  // properties and turns NaN into null, so only the round-tripped value is what goes on the wire.
  const value: unknown = body === undefined ? undefined : JSON.parse(body);
  const result = validateVersion(contract, version, value);
  if (!result.valid || body === undefined) {
    throw new ContractViolation('SCHEMA_VIOLATION', `${contract} v${version} payload fails its schema`, {
      contract,
      version,
      errors: result.errors ?? [],
    });
  }
  return { body, value };
}

// Enough to show what is wrong; a payload full of bad characters need not list every one.
const MAX_CHARACTER_ERRORS = 10;

/**
 * Every string of the payload (keys too) and every String attribute must be text SQS can carry:
 * the body itself always could (it is written as ASCII with escapes), but a consumer parses the
 * escapes back, and a noncharacter or a lone surrogate in its hands fails wherever it goes next
 * (an SMS provider, another queue). Refused here, before anything is written, as a permanent error.
 */
function assertSqsText(
  contract: ContractName,
  version: number,
  value: unknown,
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): void {
  const errors: ContractErrorDetail[] = [];
  const check = (text: string, path: string) => {
    const refused = sqsRefusedCharacter(text);
    if (refused !== undefined && errors.length < MAX_CHARACTER_ERRORS) {
      errors.push({
        path,
        keyword: 'sqsCharacters',
        message: `contains ${refused}, which SQS does not accept`,
      });
    }
  };
  const walk = (node: unknown, path: string): void => {
    if (typeof node === 'string') check(node, path);
    else if (Array.isArray(node)) node.forEach((item, index) => walk(item, `${path}/${index}`));
    else if (typeof node === 'object' && node !== null) {
      for (const [key, item] of Object.entries(node)) {
        const itemPath = `${path}/${jsonPointerToken(key)}`;
        check(key, itemPath);
        walk(item, itemPath);
      }
    }
  };
  walk(value, '');
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute.StringValue !== undefined) check(attribute.StringValue, `/MessageAttributes/${name}`);
  }
  if (errors.length > 0) {
    throw new ContractViolation(
      'INVALID_CHARACTERS',
      `${contract} v${version} payload contains characters SQS does not accept`,
      { contract, version, errors },
    );
  }
}

/**
 * RFC 6901: `~` and `/` escaped. A refused character in the key itself is written as its label, so
 * the error can be logged or put in a message attribute without carrying the character along.
 */
function jsonPointerToken(key: string): string {
  return labelSqsRefusedCharacters(key.replaceAll('~', '~0').replaceAll('/', '~1'));
}

function assertWithinSize(
  contract: ContractName,
  version: number,
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>>,
  maxBytes: number,
): void {
  const size = sqsMessageSizeBytes(body, attributes);
  if (size > maxBytes) {
    throw new ContractViolation(
      'MESSAGE_TOO_LARGE',
      `${contract} v${version} message is ${size} bytes; the limit is ${maxBytes}`,
      {
        contract,
        version,
        errors: [{ path: '/', keyword: 'maxSize', message: `must be at most ${maxBytes} bytes` }],
      },
    );
  }
}

/**
 * Validates a payload against its contract and wraps it in an SQS message: a JSON body (ASCII only,
 * see `asciiJson`) plus the `contract`, `contract-version` and `content-type` attributes and the
 * current W3C trace context. Throws `ContractViolation` (SCHEMA_VIOLATION, INVALID_CHARACTERS,
 * MESSAGE_TOO_LARGE, ...) instead of sending something a queue or a consumer would refuse.
 */
export function encodeMessage<C extends ContractName, V extends ContractVersion<C> = LatestVersion<C>>(
  contract: C,
  payload: ContractPayload<C, V>,
  options: EncodeOptions<V> = {},
): EncodedMessage {
  if (options.delaySeconds !== undefined) assertDelaySeconds(options.delaySeconds);
  // Callers in plain JS, or with a name read from config, can still pass anything.
  if (!isContractName(contract)) {
    throw new ContractViolation('UNKNOWN_CONTRACT', `Unknown contract "${String(contract)}"`, { contract });
  }
  const version: number = options.version ?? LATEST_VERSION[contract];
  if (!isSupportedVersion(contract, version)) {
    throw new ContractViolation('UNSUPPORTED_VERSION', `${contract} has no version ${version}`, {
      contract,
      version,
    });
  }

  const { body: json, value } = serialiseValid(contract, version, payload);
  const body = asciiJson(json);

  const attributes: Record<string, MessageAttributeValue> = {
    [ATTRIBUTE_NAMES.contract]: stringAttribute(contract),
    [ATTRIBUTE_NAMES.contractVersion]: stringAttribute(String(version)),
    [ATTRIBUTE_NAMES.contentType]: stringAttribute(JSON_CONTENT_TYPE),
  };
  if (options.context === undefined) injectTraceContext(attributes);
  else injectTraceContext(attributes, options.context);

  assertSqsText(contract, version, value, attributes);
  assertWithinSize(contract, version, body, attributes, options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES);

  const message: EncodedMessage = { MessageBody: body, MessageAttributes: attributes };
  if (options.delaySeconds !== undefined) message.DelaySeconds = options.delaySeconds;
  if (options.messageDeduplicationId !== undefined)
    message.MessageDeduplicationId = options.messageDeduplicationId;
  if (options.messageGroupId !== undefined) message.MessageGroupId = options.messageGroupId;
  return message;
}
