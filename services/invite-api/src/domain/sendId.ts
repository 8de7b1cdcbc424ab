/**
 * Every SMS of an invitation has its own send id, the `invitationId` field of sms.requested: the
 * first one is the invitation id itself, resend N is `<invitationId>_resend<N>`. sms-sender keeps one
 * ledger entry per id and never sends one id twice, so a resend needs a new id, while a redelivered
 * or relayed copy of the same resend is still deduplicated. Status events come back under the send
 * id and are mapped to the invitation here. Invitation ids (`inv-<uuid>`, entityId pattern) never
 * contain `_resend`, so the mapping is unambiguous.
 */
const RESEND_SUFFIX = /^(.+)_resend([1-9][0-9]{0,2})$/;

export function sendIdFor(invitationId: string, resendNumber: number): string {
  return resendNumber === 0 ? invitationId : `${invitationId}_resend${resendNumber}`;
}

export function invitationIdOfSend(sendId: string): string {
  return RESEND_SUFFIX.exec(sendId)?.[1] ?? sendId;
}
