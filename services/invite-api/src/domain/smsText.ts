/**
 * The invitation SMS. Kept to one GSM-7 segment for typical names (160 characters), since each
 * extra segment is billed. The inviter's name is cleaned of control characters and cut to 40
 * characters so a crafted `name` claim cannot push the text into many segments.
 */
const MAX_NAME_LENGTH = 40;
const FALLBACK_NAME = 'A friend';

export function displayName(name: string | undefined): string {
  // Control characters (C0, DEL, C1) and line/paragraph separators never belong in an SMS.
  const cleaned = (name ?? '')
    .replace(/\p{Cc}|[\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned.length === 0) return FALLBACK_NAME;
  const chars = Array.from(cleaned);
  return chars.length <= MAX_NAME_LENGTH ? cleaned : `${chars.slice(0, MAX_NAME_LENGTH - 1).join('')}…`;
}

export function renderInvitationSms(input: {
  inviterName: string;
  inviteCode: string;
  referralUrl: string;
}): string {
  return `${input.inviterName} invited you to join! Use code ${input.inviteCode} or tap ${input.referralUrl}`;
}

export function referralUrl(baseUrl: string, inviteCode: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/invite/${inviteCode}`;
}
