import { classifyError } from '@platform/errors';
import { SmsPermanentFailure, SmsTransientFailure, type SmsSendError } from '../errors.ts';
import { networkFailureOf } from './networkErrors.ts';
import { redactPhoneNumbers } from './redact.ts';
import type { SmsProvider } from './types.ts';

export interface TwilioProviderDeps {
  /** The global `fetch` in production; injectable so a test can count calls. */
  fetch?: typeof fetch;
}

export type TwilioSender =
  { from: string; messagingServiceSid?: undefined } | { from?: undefined; messagingServiceSid: string };

export type TwilioProviderOptions = TwilioSender & {
  accountSid: string;
  /** Never logged; sent only as the password of HTTP basic auth. */
  authToken: string;
  /** Default https://api.twilio.com; a test points it at a fake server. */
  baseUrl?: string;
  /**
   * Sent as `StatusCallback` with every message: Twilio POSTs each status change (delivered,
   * undelivered, failed) there, signed with the auth token (webhooks/twilioWebhooks.ts).
   */
  statusCallbackUrl?: string | undefined;
};

export const TWILIO_DEFAULT_BASE_URL = 'https://api.twilio.com';

interface TwilioErrorBody {
  code?: unknown;
  message?: unknown;
  status?: unknown;
}

/**
 * Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form
 * encoded, HTTP basic auth with the Account SID and auth token. A 201 carries the message `sid`.
 * The Messages API has no idempotency key, so `idempotencyKey` stays with our ledger.
 *
 * Why `fetch` and not the official `twilio` client for SENDING (the package IS used, for webhook
 * signatures, where its canonicalisation is the security boundary): the sender aborts every call on
 * shutdown, on a lost lease and at SMS_PROVIDER_TIMEOUT_MS, and twilio-node's `messages.create` takes
 * no AbortSignal (only a client-wide timeout); the error mapping below needs the raw HTTP status and
 * body, which the client folds into its own RestException; and its own retry option must stay off
 * anyway (an SDK-internal retry is a second SMS the ledger never saw). One documented POST is
 * smaller than the client's axios stack on the hot path.
 */
export function createTwilioProvider(deps: TwilioProviderDeps, options: TwilioProviderOptions): SmsProvider {
  const doFetch = deps.fetch ?? fetch;
  const base = (options.baseUrl ?? TWILIO_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  return {
    name: 'twilio',
    async send({ to, body, signal }) {
      const form = new URLSearchParams({ To: to, Body: body });
      if (options.messagingServiceSid !== undefined)
        form.set('MessagingServiceSid', options.messagingServiceSid);
      else form.set('From', options.from);
      if (options.statusCallbackUrl !== undefined) form.set('StatusCallback', options.statusCallbackUrl);

      let response: Response;
      let payload: unknown;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: form,
          signal,
        });
        payload = await readJson(response);
      } catch (error) {
        throw mapTwilioError(error);
      }
      if (response.ok) {
        const sid = (payload as { sid?: unknown } | undefined)?.sid;
        if (typeof sid === 'string' && sid.length > 0) return { providerMessageId: sid };
        throw new SmsTransientFailure({
          code: 'PROVIDER_UNAVAILABLE',
          message: `Twilio answered ${response.status} without a message sid`,
          provider: 'twilio',
          providerCode: undefined,
          httpStatus: response.status,
          outcome: 'unknown',
        });
      }
      throw mapTwilioResponse(response.status, payload);
    },
  };
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // An HTML error page from a proxy: the status code still tells us enough.
  }
}

// Twilio error codes (https://www.twilio.com/docs/api/errors) that make THIS message undeliverable.
const INVALID_NUMBER_CODES = new Set([
  21211, // Invalid 'To' Phone Number
  21214, // 'To' phone number cannot be reached
  21217, // Phone number does not appear to be valid
  21401, // Invalid Phone Number
  21407, // This Phone Number type does not support SMS
  21614, // 'To' number is not a valid mobile number
]);
const OPTED_OUT_CODES = new Set([
  21610, // Attempt to send to unsubscribed recipient (the recipient replied STOP)
]);
// Our account or sender is wrong: every message would fail the same way until an operator acts.
const MISCONFIGURED_CODES = new Set([
  20003, // Authentication failed
  20404, // Resource not found (wrong Account SID)
  21212, // Invalid 'From' number
  21606, // The 'From' phone number is not a valid, SMS-capable Twilio number
]);

/**
 * Maps a non-2xx Twilio answer. The ONLY place Twilio error bodies are read.
 * 429 or code 20429 -> throttled (transient); 5xx -> unavailable (transient); invalid number and
 * opted-out codes -> permanent; credentials/sender codes, 401/403 -> misconfigured (transient, an
 * operator must act); any other 4xx -> rejected (permanent).
 */
export function mapTwilioResponse(httpStatus: number, body: unknown): SmsSendError {
  const shape = (typeof body === 'object' && body !== null ? body : {}) as TwilioErrorBody;
  const code = typeof shape.code === 'number' ? shape.code : undefined;
  const text = redactPhoneNumbers(typeof shape.message === 'string' ? shape.message : `HTTP ${httpStatus}`);
  const base = {
    provider: 'twilio' as const,
    providerCode: code === undefined ? `HTTP_${httpStatus}` : String(code),
    httpStatus,
    message: `Twilio ${code ?? httpStatus}: ${text}`,
  };
  if (httpStatus === 429 || code === 20429) {
    return new SmsTransientFailure({ ...base, code: 'PROVIDER_THROTTLED', outcome: 'not-sent' });
  }
  if (httpStatus >= 500) {
    // Twilio may have created the message before failing the response.
    return new SmsTransientFailure({ ...base, code: 'PROVIDER_UNAVAILABLE', outcome: 'unknown' });
  }
  if (code !== undefined && OPTED_OUT_CODES.has(code))
    return new SmsPermanentFailure({ ...base, code: 'OPTED_OUT' });
  if (code !== undefined && INVALID_NUMBER_CODES.has(code)) {
    return new SmsPermanentFailure({ ...base, code: 'INVALID_PHONE_NUMBER' });
  }
  if ((code !== undefined && MISCONFIGURED_CODES.has(code)) || httpStatus === 401 || httpStatus === 403) {
    return new SmsTransientFailure({ ...base, code: 'PROVIDER_MISCONFIGURED', outcome: 'not-sent' });
  }
  if (httpStatus >= 400) return new SmsPermanentFailure({ ...base, code: 'PROVIDER_REJECTED' });
  // 1xx/3xx: fetch follows redirects, so this is a proxy misbehaving.
  return new SmsTransientFailure({ ...base, code: 'PROVIDER_UNAVAILABLE', outcome: 'unknown' });
}

/** Maps a failure to complete the HTTP exchange at all (network, timeout, abort). */
export function mapTwilioError(error: unknown): SmsSendError {
  const network = networkFailureOf(error);
  if (network !== undefined) {
    return new SmsTransientFailure({
      code: 'PROVIDER_UNREACHABLE',
      message: `Twilio unreachable: ${network.code}`,
      provider: 'twilio',
      providerCode: network.code,
      outcome: network.outcome,
      cause: error,
    });
  }
  const classified = classifyError(error);
  const args = {
    message: `Twilio request failed: ${redactPhoneNumbers(classified.message)}`,
    provider: 'twilio' as const,
    providerCode: classified.code,
    cause: error,
  };
  return classified.kind === 'permanent'
    ? new SmsPermanentFailure({ ...args, code: 'PROVIDER_REJECTED' })
    : new SmsTransientFailure({ ...args, code: 'PROVIDER_UNAVAILABLE', outcome: 'unknown' });
}
