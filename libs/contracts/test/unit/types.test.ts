/**
 * Compile-time checks (run by `tsc`) that the types derived from the schemas say what the
 * schemas say; the runtime assertions below make ava count the file and keep it honest.
 * `src/generated/examples.ts` separately proves every schema example satisfies its type.
 */
import test from 'ava';
import {
  CONTRACTS,
  SMS_STATUS_V1_EXAMPLES,
  encodeMessage,
  validatePayload,
  type ContractName,
  type ContractVersion,
  type DecodedMessage,
  type ImageJobCompleted,
  type ImageJobFailed,
  type ImageJobRequested,
  type SmsRequested,
  type SmsStatus,
} from '@platform/contracts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// Names and versions.
assertType<
  Equal<
    ContractName,
    | 'image.job.requested'
    | 'image.job.completed'
    | 'image.job.failed'
    | 'sms.requested'
    | 'sms.status'
    | 'sms.optout'
  >
>();
assertType<Equal<ContractVersion<'sms.optout'>, 1>>();
assertType<Equal<ContractVersion<'sms.status'>, 1>>();
assertType<Equal<DecodedMessage['contract'], ContractName>>();

// Field types follow the schemas' enums and requirements.
assertType<Equal<ImageJobRequested['format'], 'png' | 'jpeg' | 'webp'>>();
assertType<Equal<ImageJobRequested['params'][string], string | number | boolean>>();
assertType<Equal<ImageJobCompleted['contentType'], 'image/png' | 'image/jpeg' | 'image/webp'>>();
assertType<Equal<ImageJobFailed['state'], 'FAILED' | 'DEAD_LETTERED'>>();
assertType<Equal<ImageJobFailed['reason'], { code: string; message: string; retryable: boolean }>>();
assertType<Equal<SmsStatus['provider'], 'sns' | 'twilio' | 'local'>>();
assertType<Equal<SmsStatus['status'], 'sent' | 'delivered' | 'undelivered' | 'failed'>>();

// oneOf: a failed status carries an error; sent/delivered carry a provider message id.
assertType<Equal<Extract<SmsStatus, { status: 'failed' }>['error'], { code: string; message: string }>>();
assertType<Equal<Extract<SmsStatus, { status: 'sent' | 'delivered' }>['providerMessageId'], string>>();
// undelivered (a delivery receipt) carries both: the provider had accepted it, the carrier says why not.
assertType<Equal<Extract<SmsStatus, { status: 'undelivered' }>['providerMessageId'], string>>();
assertType<
  Equal<Extract<SmsStatus, { status: 'undelivered' }>['error'], { code: string; message: string }>
>();

// oneOf: text XOR template + templateParams.
const rendered: SmsRequested = {
  invitationId: 'inv-1',
  inviteCode: 'APP-8F3K92',
  phoneNumber: '+14155552671',
  inviterName: 'Ada',
  text: 'hello',
  requestedAt: '2025-01-31T12:00:00Z',
};
const templated: SmsRequested = {
  invitationId: 'inv-2',
  inviteCode: 'APP-8F3K92',
  phoneNumber: '+14155552671',
  inviterName: 'Ada',
  template: 'invite-default',
  templateParams: { inviteUrl: 'https://app.example/invite/APP-8F3K92' },
  requestedAt: '2025-01-31T12:00:00Z',
};
// @ts-expect-error both text and template is refused by the type as by the schema
const both: SmsRequested = { ...rendered, template: 'invite-default', templateParams: {} };
// @ts-expect-error neither text nor template is refused
const neither: SmsRequested = { ...templated, template: undefined, templateParams: undefined };
// @ts-expect-error a failed status without an error is refused
const failedWithoutError: SmsStatus = {
  invitationId: 'i',
  status: 'failed',
  provider: 'sns',
  occurredAt: 'x',
};
// @ts-expect-error unknown properties are refused, as additionalProperties: false does
const extra: ImageJobRequested = { ...CONTRACTS_EXAMPLE(), priority: 1 };
// @ts-expect-error encode takes the payload type of the contract it names
const wrongPayload = () => encodeMessage('sms.status', rendered);

function CONTRACTS_EXAMPLE(): ImageJobRequested {
  return {
    jobId: 'job-1',
    template: 'social-card',
    width: 1,
    height: 1,
    format: 'png',
    params: {},
    requestedAt: '2025-01-31T12:00:00Z',
  };
}

test('the type-level samples agree with the schemas at run time', (t) => {
  t.true(validatePayload('sms.requested', rendered).valid);
  t.true(validatePayload('sms.requested', templated).valid);
  t.true(validatePayload('image.job.requested', CONTRACTS_EXAMPLE()).valid);
  t.false(validatePayload('sms.requested', both).valid);
  t.false(validatePayload('sms.requested', JSON.parse(JSON.stringify(neither))).valid);
  t.false(validatePayload('sms.status', failedWithoutError).valid);
  t.false(validatePayload('image.job.requested', extra).valid);
  t.is(typeof wrongPayload, 'function');
  t.is(CONTRACTS['sms.status'].latest, 1);
  t.true(SMS_STATUS_V1_EXAMPLES.length >= 2);
});
