/**
 * The invitation SMS. With a GSM-7 inviter name (at most 40 septets, domain/displayName.ts) and a
 * referral base URL of at most 53 characters it is one GSM-7 segment (160 septets), since every
 * extra segment is billed: 40 + 49 fixed characters + the URL (base + 18).
 */
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
