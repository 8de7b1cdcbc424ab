import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueDefinition } from './definition.ts';
import { ProvisionError } from './errors.ts';
import { newReport, type ResourceReport } from './report.ts';
import { sdkErrorInfo } from '@platform/errors';

export interface ProvisionedQueue {
  name: string;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

interface QueueState {
  url: string;
  arn: string;
  report: ResourceReport;
}

/** The DLQ comes first: the main queue's RedrivePolicy names the DLQ by ARN, which must exist. */
export async function provisionQueue(
  sqs: SQSClient,
  queue: QueueDefinition,
  customEndpoint?: string,
): Promise<{ queue: ProvisionedQueue; reports: ResourceReport[] }> {
  const dlq = await ensureQueue(sqs, queue.dlqName, {
    MessageRetentionPeriod: String(queue.dlqMessageRetentionSeconds),
    ReceiveMessageWaitTimeSeconds: String(queue.receiveWaitTimeSeconds),
    ...(queue.sqsManagedSse ? { SqsManagedSseEnabled: 'true' } : {}),
  });
  const main = await ensureQueue(sqs, queue.name, {
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(queue.messageRetentionSeconds),
    ReceiveMessageWaitTimeSeconds: String(queue.receiveWaitTimeSeconds),
    ...(queue.sqsManagedSse ? { SqsManagedSseEnabled: 'true' } : {}),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.maxReceiveCount }),
  });
  return {
    queue: {
      name: queue.name,
      url: addressableQueueUrl(main.url, customEndpoint),
      arn: main.arn,
      dlqName: queue.dlqName,
      dlqUrl: addressableQueueUrl(dlq.url, customEndpoint),
      dlqArn: dlq.arn,
    },
    reports: [dlq.report, main.report],
  };
}

/**
 * Emulators mint queue URLs on hosts like `sqs.us-east-1.localhost` that do not resolve on every machine,
 * and an SQS client whose endpoint came from the environment sends requests to the QueueUrl's host. With
 * a custom endpoint the URL is therefore moved onto that endpoint's origin (emulators and LocalStack look
 * queues up by the path, account id and name). On real AWS (no custom endpoint) URLs are left untouched.
 */
export function addressableQueueUrl(url: string, customEndpoint: string | undefined): string {
  if (customEndpoint === undefined) return url;
  return new URL(new URL(url).pathname, customEndpoint).toString();
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  desired: Record<string, string>,
): Promise<QueueState> {
  const report = newReport('queue', name);
  let url = await findQueueUrl(sqs, name);
  if (url === undefined) {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: desired }));
    if (created.QueueUrl === undefined) throw new ProvisionError(name, 'CreateQueue returned no QueueUrl');
    url = created.QueueUrl;
    report.action = 'created';
  }
  const actual = await readAttributes(sqs, url, name);
  if (report.action !== 'created') {
    const toSet: Record<string, string> = {};
    for (const [attribute, want] of Object.entries(desired)) {
      const have = actual[attribute];
      if (have === undefined && attribute === 'SqsManagedSseEnabled') {
        report.notes.push('endpoint does not report SqsManagedSseEnabled');
        continue;
      }
      if (!sameAttribute(attribute, have, want)) {
        toSet[attribute] = want;
        report.changes.push(`${attribute} ${describe(attribute, have)} -> ${describe(attribute, want)}`);
      }
    }
    if (Object.keys(toSet).length > 0) {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: toSet }));
      report.action = 'updated';
    }
  }
  const arn = actual.QueueArn;
  if (arn === undefined) throw new ProvisionError(name, 'GetQueueAttributes returned no QueueArn');
  return { url, arn, report };
}

async function findQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    const { name: errorName } = sdkErrorInfo(err);
    // The JSON protocol names it QueueDoesNotExist; older query-protocol endpoints use the long form.
    if (errorName === 'QueueDoesNotExist' || errorName === 'AWS.SimpleQueueService.NonExistentQueue') {
      return undefined;
    }
    throw new ProvisionError(name, 'GetQueueUrl failed', { cause: err });
  }
}

async function readAttributes(sqs: SQSClient, url: string, name: string): Promise<Record<string, string>> {
  const result = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  if (result.Attributes === undefined) throw new ProvisionError(name, 'GetQueueAttributes returned nothing');
  return result.Attributes;
}

function sameAttribute(attribute: string, have: string | undefined, want: string): boolean {
  if (have === undefined) return false;
  if (attribute !== 'RedrivePolicy') return have === want;
  // SQS returns maxReceiveCount as a number or a string depending on how it was set.
  const a = parseRedrive(have);
  const b = parseRedrive(want);
  return a !== undefined && b !== undefined && a.arn === b.arn && a.max === b.max;
}

function parseRedrive(json: string): { arn: string; max: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const arn = 'deadLetterTargetArn' in parsed ? parsed.deadLetterTargetArn : undefined;
    const max = 'maxReceiveCount' in parsed ? parsed.maxReceiveCount : undefined;
    if (typeof arn !== 'string' || (typeof max !== 'string' && typeof max !== 'number')) return undefined;
    return { arn, max: String(max) };
  } catch {
    return undefined;
  }
}

function describe(attribute: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (attribute !== 'RedrivePolicy') return value;
  const redrive = parseRedrive(value);
  return redrive === undefined
    ? value
    : `maxReceiveCount=${redrive.max} dlq=${redrive.arn.split(':').pop() ?? ''}`;
}
