// The ESM loader hook that lets the instrumentations patch ES modules (koa, pino, the AWS SDK's
// middleware packages as imported from our .ts modules).
//
// Node >= 24.11.1 (and 22.22.3, 25.1.0) runs import-in-the-middle's hook synchronously on the
// application thread (`module.registerHooks`). The asynchronous `module.register` hook that
// @opentelemetry/instrumentation/hook.mjs installs runs on a loader thread instead, and every
// module the application resolves or loads (hooked or not) then costs a blocking round trip to
// that thread: measured as ~0.9 s of invite-api's ~3 s of start-up CPU on this machine. Older Nodes
// that our engines range still admits (>= 22.12) fall back to that asynchronous hook.
import { register as registerLoaderThreadHook } from 'node:module';
import { register as registerInThreadHook, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';

export type EsmHookKind = 'in-thread' | 'loader-thread';

/** Registers the hook for `include` only (package names); the rest of the graph loads untouched. */
export function registerEsmHook(include: string[]): EsmHookKind {
  if (supportsSyncHooks()) {
    registerInThreadHook({ include });
    return 'in-thread';
  }
  registerLoaderThreadHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });
  return 'loader-thread';
}
