import type { SmsRequested } from '@platform/contracts';
import { PermanentError } from '@platform/errors';
import { UnknownTemplateError } from './errors.ts';

type Template = (request: SmsRequested, params: Readonly<Record<string, string>>) => string;

/**
 * Templates this sender renders when a request carries `template` + `templateParams` instead of
 * `text` (invite-api may render the text itself; both are valid `sms.requested` v1 messages).
 */
const TEMPLATES: Readonly<Record<string, Template>> = {
  'invite-default': (request, params) =>
    `${request.inviterName} invited you to join. Use code ${request.inviteCode}: ${required(params, 'inviteUrl')}`,
};

export const KNOWN_TEMPLATES: readonly string[] = Object.keys(TEMPLATES);

function required(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') {
    throw new PermanentError('TEMPLATE_PARAM_MISSING', `Template parameter "${name}" is required`, {
      details: { parameter: name },
    });
  }
  return value;
}

/** The SMS body for a request: its text, or its template rendered. Throws permanent errors only. */
export function renderSmsBody(request: SmsRequested): string {
  if (request.text !== undefined) return request.text;
  const template = request.template === undefined ? undefined : TEMPLATES[request.template];
  if (template === undefined) throw new UnknownTemplateError(request.template ?? '(none)', KNOWN_TEMPLATES);
  return template(request, request.templateParams ?? {});
}
