import type { SmsFailureCode } from '../../errors.ts';

/**
 * Deterministic failures of the local provider, chosen by the recipient's last four digits, so a
 * test or a demo can produce every failure mode with a real (libphonenumber-valid) number such as
 * +1 415 555 9990. Like a carrier's test numbers, they exist only in the local provider.
 */
export type InjectedBehaviour =
  | { kind: 'permanent'; code: Extract<SmsFailureCode, 'INVALID_PHONE_NUMBER' | 'OPTED_OUT'> }
  /** Fails transiently on the first `failures` attempts for one idempotency key, then accepts. */
  | { kind: 'transient-then-accept'; failures: number; code: 'PROVIDER_UNAVAILABLE' }
  /** Always throttled: exercises retry exhaustion. */
  | { kind: 'always-transient'; code: 'PROVIDER_THROTTLED' }
  /** Accepts after `slowMs` (configurable): a provider call long enough to kill a process inside it. */
  | { kind: 'slow' }
  /** Accepts, then its simulated delivery receipt says undelivered (the handset was unreachable). */
  | { kind: 'undelivered'; code: 'CARRIER_UNREACHABLE' };

export const MAGIC_SUFFIXES: Readonly<Record<string, InjectedBehaviour>> = {
  '9990': { kind: 'permanent', code: 'INVALID_PHONE_NUMBER' },
  '9991': { kind: 'permanent', code: 'OPTED_OUT' },
  '9992': { kind: 'transient-then-accept', failures: 2, code: 'PROVIDER_UNAVAILABLE' },
  '9993': { kind: 'always-transient', code: 'PROVIDER_THROTTLED' },
  '9994': { kind: 'slow' },
  '9995': { kind: 'undelivered', code: 'CARRIER_UNREACHABLE' },
};

export function injectedBehaviourFor(phoneNumber: string): InjectedBehaviour | undefined {
  return MAGIC_SUFFIXES[phoneNumber.slice(-4)];
}
