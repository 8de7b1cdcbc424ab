import { context, trace, type Attributes } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';

/**
 * What an operator searches Jaeger by (tag `invitation.id=inv-...`). Never the phone number: span
 * attributes leave the process unredacted, unlike log lines.
 */
export interface InvitationSpanFacts {
  invitationId: string;
  inviteCode?: string | undefined;
  /** The inviter (`enduser.id`, the JWT `sub`). */
  inviterUserId?: string | undefined;
}

export const INVITATION_ID_ATTRIBUTE = 'invitation.id';
export const INVITATION_CODE_ATTRIBUTE = 'invitation.code';
/** The semantic-conventions name for the authenticated user. */
export const ENDUSER_ID_ATTRIBUTE = 'enduser.id';

export function invitationAttributes(facts: InvitationSpanFacts): Attributes {
  return {
    [INVITATION_ID_ATTRIBUTE]: facts.invitationId,
    ...(facts.inviteCode === undefined ? {} : { [INVITATION_CODE_ATTRIBUTE]: facts.inviteCode }),
    ...(facts.inviterUserId === undefined ? {} : { [ENDUSER_ID_ATTRIBUTE]: facts.inviterUserId }),
  };
}

/**
 * Puts the invitation's identifiers on the active span and, inside an HTTP request, on the HTTP
 * server span too: under the Koa instrumentation the active span is the router layer's span, while
 * the server span (the trace's root, the one an operator opens) is only reachable through the RPC
 * metadata the HTTP instrumentation leaves in the context. A no-op without an SDK.
 */
export function tagInvitationSpan(facts: InvitationSpanFacts): void {
  const attributes = invitationAttributes(facts);
  const active = trace.getActiveSpan();
  active?.setAttributes(attributes);
  const server = getRPCMetadata(context.active())?.span;
  if (server !== undefined && server !== active) server.setAttributes(attributes);
}
