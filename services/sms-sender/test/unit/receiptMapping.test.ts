import test from 'ava';
import { classifyKeyword } from '../../src/optout/keywords.ts';
import { parseEumMessage } from '../../src/receipts/eumEvents.ts';
import { receiptFromTwilioCallback } from '../../src/receipts/twilioStatus.ts';
import { EUM_EVENT } from '../helpers/receipts.ts';

const NOW = '2026-01-01T00:00:00.000Z';

test('Twilio callbacks: only final statuses become receipts, with our error vocabulary', (t) => {
  const cases: [Record<string, string>, unknown][] = [
    [{ MessageSid: 'SM1', MessageStatus: 'queued' }, undefined],
    [{ MessageSid: 'SM1', MessageStatus: 'sent' }, undefined],
    [
      { MessageSid: 'SM1', MessageStatus: 'delivered' },
      { outcome: 'delivered', error: undefined },
    ],
    [{ MessageSid: 'SM1', MessageStatus: 'read' }, { outcome: 'delivered' }],
    [
      { MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' },
      {
        outcome: 'undelivered',
        error: { code: 'CARRIER_UNREACHABLE', message: 'Twilio undelivered (error 30003)' },
      },
    ],
    [
      { MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30007' },
      { outcome: 'undelivered', error: { code: 'CARRIER_BLOCKED' } },
    ],
    [
      { MessageSid: 'SM1', MessageStatus: 'failed', ErrorCode: '21610' },
      { outcome: 'failed', error: { code: 'OPTED_OUT' } },
    ],
    [
      { MessageSid: 'SM1', MessageStatus: 'failed', ErrorCode: '<script>' },
      { outcome: 'failed', error: { code: 'DELIVERY_FAILED', message: 'Twilio failed' } },
    ],
    [{ MessageStatus: 'delivered' }, undefined],
    [{ MessageSid: 'SM1', MessageStatus: 'bogus' }, undefined],
  ];
  for (const [params, expected] of cases) {
    const receipt = receiptFromTwilioCallback(params, NOW);
    if (expected === undefined) t.is(receipt, undefined, JSON.stringify(params));
    else t.like(receipt, { provider: 'twilio', providerMessageId: 'SM1', occurredAt: NOW, ...expected });
  }
});

test('End User Messaging events: the documented JSON maps to receipts, raw or in an SNS envelope', (t) => {
  const table: [string, 'delivered' | 'undelivered' | undefined, string | undefined][] = [
    ['TEXT_DELIVERED', 'delivered', undefined],
    ['TEXT_BLOCKED', 'undelivered', 'CARRIER_BLOCKED'],
    ['TEXT_CARRIER_BLOCKED', 'undelivered', 'CARRIER_BLOCKED'],
    ['TEXT_SPAM', 'undelivered', 'CARRIER_BLOCKED'],
    ['TEXT_TTL_EXPIRED', 'undelivered', 'TTL_EXPIRED'],
    ['TEXT_CARRIER_UNREACHABLE', 'undelivered', 'CARRIER_UNREACHABLE'],
    ['TEXT_UNREACHABLE', 'undelivered', 'CARRIER_UNREACHABLE'],
    ['TEXT_INVALID', 'undelivered', 'INVALID_PHONE_NUMBER'],
    ['TEXT_SUCCESSFUL', undefined, undefined],
    ['TEXT_QUEUED', undefined, undefined],
    ['TEXT_UNKNOWN', undefined, undefined],
  ];
  for (const [eventType, outcome, code] of table) {
    const parsed = parseEumMessage(JSON.stringify({ ...EUM_EVENT, eventType }), NOW);
    if (outcome === undefined) {
      t.deepEqual(parsed, { kind: 'ignored', eventType }, eventType);
      continue;
    }
    if (parsed.kind !== 'receipt') return t.fail(`${eventType}: ${parsed.kind}`);
    t.is(parsed.receipt.outcome, outcome, eventType);
    t.is(parsed.receipt.error?.code, code, eventType);
    t.is(parsed.receipt.provider, 'sns');
    t.is(parsed.receipt.providerMessageId, EUM_EVENT.messageId);
    t.is(parsed.receipt.occurredAt, new Date(EUM_EVENT.eventTimestamp).toISOString());
    t.false(JSON.stringify(parsed.receipt).includes(EUM_EVENT.destinationPhoneNumber), 'no phone number');
  }
  const enveloped = JSON.stringify({
    Type: 'Notification',
    MessageId: 'x',
    Message: JSON.stringify(EUM_EVENT),
  });
  t.like(parseEumMessage(enveloped, NOW), { kind: 'receipt', receipt: { outcome: 'delivered' } });
  const withContext = JSON.stringify({ ...EUM_EVENT, context: { invitationId: 'inv-1' } });
  t.like(parseEumMessage(withContext, NOW), { kind: 'receipt', receipt: { invitationIdHint: 'inv-1' } });
});

test('End User Messaging two-way payload -> inbound; anything else is malformed, never a crash', (t) => {
  const inbound = {
    originationNumber: '+14255550182',
    destinationNumber: '+12125550101',
    messageKeyword: 'KEYWORD_123456789012',
    messageBody: 'STOP',
    inboundMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84',
    previousPublishedMessageId: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  t.deepEqual(parseEumMessage(JSON.stringify(inbound), NOW), {
    kind: 'inbound',
    from: '+14255550182',
    body: 'STOP',
    inboundMessageId: inbound.inboundMessageId,
  });
  for (const body of [
    undefined,
    '',
    'not json',
    '[]',
    'null',
    '{"eventType":"TEXT_DELIVERED"}',
    '{"a":1}',
    '"\u0000"',
  ]) {
    t.is(parseEumMessage(body, NOW).kind, 'malformed', String(body));
  }
});

test('keywords: whole-message STOP/START variants only', (t) => {
  for (const body of [
    'STOP',
    'stop',
    ' Stop. ',
    'STOP ALL',
    'unsubscribe',
    'Cancel!',
    'ｓｔｏｐ',
    'opt-out',
    'QUIT',
  ])
    t.is(classifyKeyword(body)?.action, 'opt-out', body);
  for (const body of ['START', 'start', 'Unstop', 'yes']) t.is(classifyKeyword(body)?.action, 'opt-in', body);
  for (const body of ['please stop by later', 'HELP', '', 'STOPP', 'x'.repeat(100), 42, undefined])
    t.is(classifyKeyword(body), undefined, String(body));
});
