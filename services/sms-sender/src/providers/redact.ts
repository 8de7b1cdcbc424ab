/**
 * Providers echo the recipient in error messages ("Invalid parameter: PhoneNumber Reason: +1415...
 * is not valid", "The 'To' number +1415... is not a valid phone number"). Those messages end up in
 * logs, the ledger and `sms.status` events, none of which may carry the number. Anything with a
 * leading `+` and 5+ digits, or 8+ digits in a row (separators allowed), is treated as a number.
 */
export function redactPhoneNumbers(text: string): string {
  return text.replace(/\+\d[\d\s().-]{3,}\d|\d[\d\s().-]{6,}\d/g, '[phone]');
}
