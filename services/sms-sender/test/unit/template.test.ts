import { SMS_REQUESTED_V1_EXAMPLES, type SmsRequested } from '@platform/contracts';
import { classifyError } from '@platform/errors';
import test from 'ava';
import { renderSmsBody } from '../../src/template.ts';

const rendered = SMS_REQUESTED_V1_EXAMPLES[0] as SmsRequested;
const templated = SMS_REQUESTED_V1_EXAMPLES[1] as SmsRequested;

test('a rendered request is sent as is', (t) => {
  t.is<string | undefined, string | undefined>(renderSmsBody(rendered), rendered.text);
});

test('invite-default renders inviter, code and URL', (t) => {
  t.is(
    renderSmsBody(templated),
    'Grace Hopper invited you to join. Use code APP-XY7MNP: https://app.example/invite/APP-XY7MNP',
  );
});

test('an unknown template or a missing parameter is permanent (never retried)', (t) => {
  const unknown = t.throws(() =>
    renderSmsBody({ ...templated, template: 'no-such-template' } as SmsRequested),
  );
  t.like(classifyError(unknown), { kind: 'permanent', code: 'TEMPLATE_UNKNOWN' });
  const missing = t.throws(() => renderSmsBody({ ...templated, templateParams: {} } as SmsRequested));
  t.like(classifyError(missing), { kind: 'permanent', code: 'TEMPLATE_PARAM_MISSING' });
});
