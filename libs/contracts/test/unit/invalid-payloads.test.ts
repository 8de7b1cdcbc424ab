import test from 'ava';
import {
  IMAGE_JOB_COMPLETED_V1_EXAMPLES,
  IMAGE_JOB_FAILED_V1_EXAMPLES,
  IMAGE_JOB_REQUESTED_V1_EXAMPLES,
  SMS_REQUESTED_V1_EXAMPLES,
  SMS_OPTOUT_V1_EXAMPLES,
  SMS_STATUS_V1_EXAMPLES,
  validatePayload,
  type ContractName,
} from '@platform/contracts';

interface InvalidCase {
  contract: ContractName;
  name: string;
  payload: Record<string, unknown>;
  /** The error every consumer and dashboard relies on: where, and which rule. */
  path: string;
  keyword: string;
}

const image = IMAGE_JOB_REQUESTED_V1_EXAMPLES[0]!;
const smsText = SMS_REQUESTED_V1_EXAMPLES[0]!;
const smsTemplate = SMS_REQUESTED_V1_EXAMPLES[1]!;
const sent = SMS_STATUS_V1_EXAMPLES[0]!;
const failed = SMS_STATUS_V1_EXAMPLES[1]!;
const undelivered = SMS_STATUS_V1_EXAMPLES.find((e) => e.status === 'undelivered')!;
const optOut = SMS_OPTOUT_V1_EXAMPLES[0]!;
const jobCompleted = IMAGE_JOB_COMPLETED_V1_EXAMPLES[0]!;
const jobFailed = IMAGE_JOB_FAILED_V1_EXAMPLES[0]!;

function without(payload: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...payload };
  delete copy[key];
  return copy;
}

const IMAGE = 'image.job.requested';
const SMS = 'sms.requested';
const STATUS = 'sms.status';
const OPTOUT = 'sms.optout';
const COMPLETED = 'image.job.completed';
const FAILED = 'image.job.failed';

const cases: InvalidCase[] = [
  // image.job.requested v1
  {
    contract: IMAGE,
    name: 'missing jobId',
    payload: without(image, 'jobId'),
    path: '/jobId',
    keyword: 'required',
  },
  {
    contract: IMAGE,
    name: 'jobId with a slash',
    payload: { ...image, jobId: 'a/b' },
    path: '/jobId',
    keyword: 'pattern',
  },
  {
    contract: IMAGE,
    name: 'jobId too long',
    payload: { ...image, jobId: 'j'.repeat(129) },
    path: '/jobId',
    keyword: 'pattern',
  },
  {
    contract: IMAGE,
    name: 'upper-case template',
    payload: { ...image, template: 'Social' },
    path: '/template',
    keyword: 'pattern',
  },
  {
    contract: IMAGE,
    name: 'zero width',
    payload: { ...image, width: 0 },
    path: '/width',
    keyword: 'minimum',
  },
  {
    contract: IMAGE,
    name: 'fractional height',
    payload: { ...image, height: 10.5 },
    path: '/height',
    keyword: 'type',
  },
  {
    contract: IMAGE,
    name: 'huge height',
    payload: { ...image, height: 100_000 },
    path: '/height',
    keyword: 'maximum',
  },
  {
    contract: IMAGE,
    name: 'gif format',
    payload: { ...image, format: 'gif' },
    path: '/format',
    keyword: 'enum',
  },
  {
    contract: IMAGE,
    name: 'params not an object',
    payload: { ...image, params: 'x' },
    path: '/params',
    keyword: 'type',
  },
  {
    contract: IMAGE,
    name: 'nested param value',
    payload: { ...image, params: { title: { a: 1 } } },
    path: '/params/title',
    keyword: 'type',
  },
  {
    contract: IMAGE,
    name: 'bad param name',
    payload: { ...image, params: { 'bad name': 'x' } },
    path: '/params/bad name',
    keyword: 'propertyNames',
  },
  {
    contract: IMAGE,
    name: 'too many params',
    payload: { ...image, params: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, i])) },
    path: '/params',
    keyword: 'maxProperties',
  },
  {
    contract: IMAGE,
    name: 'requestedAt without offset',
    payload: { ...image, requestedAt: '2025-01-31T12:00:00' },
    path: '/requestedAt',
    keyword: 'format',
  },
  {
    contract: IMAGE,
    name: 'requestedAt not a date',
    payload: { ...image, requestedAt: 'yesterday' },
    path: '/requestedAt',
    keyword: 'format',
  },
  {
    contract: IMAGE,
    name: 'unknown property',
    payload: { ...image, priority: 1 },
    path: '/priority',
    keyword: 'additionalProperties',
  },
  // sms.requested v1
  {
    contract: SMS,
    name: 'missing phoneNumber',
    payload: without(smsText, 'phoneNumber'),
    path: '/phoneNumber',
    keyword: 'required',
  },
  {
    contract: SMS,
    name: 'national phone number',
    payload: { ...smsText, phoneNumber: '4155552671' },
    path: '/phoneNumber',
    keyword: 'pattern',
  },
  {
    contract: SMS,
    name: 'phone number with spaces',
    payload: { ...smsText, phoneNumber: '+1 415 555 2671' },
    path: '/phoneNumber',
    keyword: 'pattern',
  },
  {
    contract: SMS,
    name: 'invite code with ambiguous O',
    payload: { ...smsText, inviteCode: 'APP-8F3KO2' },
    path: '/inviteCode',
    keyword: 'pattern',
  },
  {
    contract: SMS,
    name: 'invite code with 1',
    payload: { ...smsText, inviteCode: 'APP-8F3K12' },
    path: '/inviteCode',
    keyword: 'pattern',
  },
  {
    contract: SMS,
    name: 'invite code lower case',
    payload: { ...smsText, inviteCode: 'APP-8f3k92' },
    path: '/inviteCode',
    keyword: 'pattern',
  },
  {
    contract: SMS,
    name: 'empty inviter name',
    payload: { ...smsText, inviterName: '' },
    path: '/inviterName',
    keyword: 'minLength',
  },
  {
    contract: SMS,
    name: 'text too long',
    payload: { ...smsText, text: 'x'.repeat(1601) },
    path: '/text',
    keyword: 'maxLength',
  },
  {
    contract: SMS,
    name: 'both text and template',
    payload: { ...smsText, template: 'invite-default', templateParams: {} },
    path: '/',
    keyword: 'oneOf',
  },
  {
    contract: SMS,
    name: 'text plus template: template refused',
    payload: { ...smsText, template: 'invite-default', templateParams: {} },
    path: '/template',
    keyword: 'false schema',
  },
  {
    contract: SMS,
    name: 'neither text nor template',
    payload: without(smsText, 'text'),
    path: '/text',
    keyword: 'required',
  },
  {
    contract: SMS,
    name: 'template without params',
    payload: without(smsTemplate, 'templateParams'),
    path: '/templateParams',
    keyword: 'required',
  },
  {
    contract: SMS,
    name: 'non-string template param',
    payload: { ...smsTemplate, templateParams: { inviteUrl: 3 } },
    path: '/templateParams/inviteUrl',
    keyword: 'type',
  },
  {
    contract: SMS,
    name: 'unknown property',
    payload: { ...smsText, phone: '+14155552671' },
    path: '/phone',
    keyword: 'additionalProperties',
  },
  // sms.status v1: undelivered is a receipt for an accepted message, so it needs both.
  {
    contract: STATUS,
    name: 'undelivered without error',
    payload: without(undelivered, 'error'),
    path: '/error',
    keyword: 'required',
  },
  {
    contract: STATUS,
    name: 'undelivered without provider message id',
    payload: without(undelivered, 'providerMessageId'),
    path: '/providerMessageId',
    keyword: 'required',
  },
  // sms.optout v1
  {
    contract: OPTOUT,
    name: 'unknown action',
    payload: { ...optOut, action: 'maybe' },
    path: '/action',
    keyword: 'enum',
  },
  {
    contract: OPTOUT,
    name: 'number not E.164',
    payload: { ...optOut, phoneNumber: '4155552671' },
    path: '/phoneNumber',
    keyword: 'pattern',
  },
  {
    contract: OPTOUT,
    name: 'lower-case keyword',
    payload: { ...optOut, keyword: 'stop' },
    path: '/keyword',
    keyword: 'pattern',
  },
  {
    contract: OPTOUT,
    name: 'missing changedAt',
    payload: without(optOut, 'changedAt'),
    path: '/changedAt',
    keyword: 'required',
  },
  {
    contract: OPTOUT,
    name: 'unknown property',
    payload: { ...optOut, body: 'STOP please' },
    path: '/body',
    keyword: 'additionalProperties',
  },
  // sms.status v1
  {
    contract: STATUS,
    name: 'unknown status',
    payload: { ...sent, status: 'queued' },
    path: '/status',
    keyword: 'enum',
  },
  {
    contract: STATUS,
    name: 'unknown provider',
    payload: { ...sent, provider: 'vonage' },
    path: '/provider',
    keyword: 'enum',
  },
  {
    contract: STATUS,
    name: 'failed without error',
    payload: without(failed, 'error'),
    path: '/error',
    keyword: 'required',
  },
  {
    contract: STATUS,
    name: 'sent without provider message id',
    payload: without(sent, 'providerMessageId'),
    path: '/providerMessageId',
    keyword: 'required',
  },
  {
    contract: STATUS,
    name: 'sent with an error',
    payload: { ...sent, error: { code: 'X', message: 'y' } },
    path: '/error',
    keyword: 'false schema',
  },
  {
    contract: STATUS,
    name: 'error without message',
    payload: { ...failed, error: { code: 'PROVIDER_REJECTED' } },
    path: '/error/message',
    keyword: 'required',
  },
  {
    contract: STATUS,
    name: 'error code with spaces',
    payload: { ...failed, error: { code: 'NOT OK', message: 'm' } },
    path: '/error/code',
    keyword: 'pattern',
  },
  {
    contract: STATUS,
    name: 'extra error field',
    payload: { ...failed, error: { code: 'X', message: 'm', phone: '+1' } },
    path: '/error/phone',
    keyword: 'additionalProperties',
  },
  {
    contract: STATUS,
    name: 'attempt zero',
    payload: { ...sent, attempt: 0 },
    path: '/attempt',
    keyword: 'minimum',
  },
  {
    contract: STATUS,
    name: 'occurredAt missing',
    payload: without(sent, 'occurredAt'),
    path: '/occurredAt',
    keyword: 'required',
  },

  // image.job.completed v1
  {
    contract: COMPLETED,
    name: 'missing sha256',
    payload: without(jobCompleted, 'sha256'),
    path: '/sha256',
    keyword: 'required',
  },
  {
    contract: COMPLETED,
    name: 'an upper-case or base64 sha256',
    payload: { ...jobCompleted, sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' },
    path: '/sha256',
    keyword: 'pattern',
  },
  {
    contract: COMPLETED,
    name: 'an https URL instead of an s3 URI',
    payload: { ...jobCompleted, s3Uri: 'https://bucket.s3.amazonaws.com/jobs/a.png' },
    path: '/s3Uri',
    keyword: 'pattern',
  },
  {
    contract: COMPLETED,
    name: 'a content type that is not an image',
    payload: { ...jobCompleted, contentType: 'text/html' },
    path: '/contentType',
    keyword: 'enum',
  },
  {
    contract: COMPLETED,
    name: 'zero bytes',
    payload: { ...jobCompleted, bytes: 0 },
    path: '/bytes',
    keyword: 'minimum',
  },
  {
    contract: COMPLETED,
    name: 'zero attempts',
    payload: { ...jobCompleted, attempts: 0 },
    path: '/attempts',
    keyword: 'minimum',
  },
  {
    contract: COMPLETED,
    name: 'an unknown property',
    payload: { ...jobCompleted, url: 'https://example.com/a.png' },
    path: '/url',
    keyword: 'additionalProperties',
  },

  // image.job.failed v1
  {
    contract: FAILED,
    name: 'a state that is not a failure',
    payload: { ...jobFailed, state: 'COMPLETED' },
    path: '/state',
    keyword: 'enum',
  },
  {
    contract: FAILED,
    name: 'a reason without retryable',
    payload: { ...jobFailed, reason: { code: 'X', message: 'y' } },
    path: '/reason/retryable',
    keyword: 'required',
  },
  {
    contract: FAILED,
    name: 'a reason code with spaces',
    payload: { ...jobFailed, reason: { code: 'bad code', message: 'y', retryable: false } },
    path: '/reason/code',
    keyword: 'pattern',
  },
  {
    contract: FAILED,
    name: 'missing failedAt',
    payload: without(jobFailed, 'failedAt'),
    path: '/failedAt',
    keyword: 'required',
  },
];

for (const testCase of cases) {
  test(`${testCase.contract} rejects ${testCase.name} at ${testCase.path} (${testCase.keyword})`, (t) => {
    const result = validatePayload(testCase.contract, testCase.payload);
    t.false(result.valid);
    const found = (result.errors ?? []).map(({ path, keyword }) => ({ path, keyword }));
    t.true(
      found.some(({ path, keyword }) => path === testCase.path && keyword === testCase.keyword),
      `expected ${testCase.keyword} at ${testCase.path}, got ${JSON.stringify(found)}`,
    );
  });
}

test('every contract has invalid cases in the table', (t) => {
  t.deepEqual(
    new Set(cases.map((c) => c.contract)),
    new Set<ContractName>([IMAGE, SMS, STATUS, OPTOUT, COMPLETED, FAILED]),
  );
});

test('validation messages never echo the rejected value', (t) => {
  const result = validatePayload(SMS, { ...smsText, phoneNumber: '+1 415 555 2671' });
  t.false(JSON.stringify(result.errors).includes('555'));
});
