/**
 * Every hostile display name of issue 9 through the real API (in process) and the emulator's SQS:
 * 201, the sms.requested message goes on the queue by the request's own send after the 201 (nothing
 * left in the outbox for the relay),
 * and it carries the name as safeDisplayName made it. Before the fix, emoji and noncharacters left
 * the invitation `queued` forever with its outbox item retried without end.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import test from 'ava';
import { decodeMessage } from '@platform/contracts';
import { safeDisplayName } from '../../src/domain/displayName.ts';
import { keys } from '../../src/store/keys.ts';
import { useHarness } from '../helpers/harness.ts';
import type { ApiBody } from '../helpers/openapi.ts';

const NAMES: Array<[string, string]> = [
  ['many emoji', '😀🎉🚀🔥✨💯🙌👍😂🥳'.repeat(4)],
  ['a ZWJ family', '👨\u200D👩\u200D👧\u200D👦 Smith'],
  ['noncharacters', 'Ada\uFFFE Lovelace\uFFFF'],
  ['a lone surrogate', 'Ada\uD83D Lovelace'],
  ['bidi overrides', '\u202Eevil\u202C Bob\u2066'],
  ['only zero-width spaces', '\u200B\u200B\u200B'],
  ['a long GSM-7 name', 'Alexandra Catherine Montgomery-Smythe of Edinburgh and Leith'],
  ['a long non-GSM name', 'Zoë Æthelflæd Łukasiewicz-Ørsted Ünsal Çelik Đorđević'],
];

test('hostile display names: 201, queued on the first send, the name made safe', async (t) => {
  const h = await useHarness(t);
  for (const [index, [title, name]] of NAMES.entries()) {
    const token = await h.token(`name-user-${index}`, { name });
    const res = await fetch(`${h.baseUrl}/api/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: `+1415555${String(6000 + index)}` }),
    });
    const body = (await res.json()) as ApiBody;
    t.is(res.status, 201, `${title}: ${JSON.stringify(body)}`);
    await h.api.publisher.drain(); // the request path sends after the 201
    const { Item } = await h.aws.clients.documentClient.send(
      new GetCommand({
        TableName: h.config.table,
        Key: keys.outbox(String(body.invitationId)),
        ConsistentRead: true,
      }),
    );
    t.is(Item, undefined, `${title}: sent at once, nothing left for the relay`);
  }

  const received = new Map<string, string>();
  for (let round = 0; round < 10 && received.size < NAMES.length; round++) {
    const { Messages = [] } = await h.aws.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.aws.urls.smsRequests,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      const decoded = decodeMessage(message);
      if (decoded.contract === 'sms.requested') {
        received.set(decoded.payload.phoneNumber, decoded.payload.inviterName);
        t.regex(message.Body ?? '', /^[\x20-\x7e]*$/, 'ASCII-only body');
      }
    }
  }
  for (const [index, [title, name]] of NAMES.entries()) {
    t.is(received.get(`+1415555${String(6000 + index)}`), safeDisplayName(name), title);
  }
  t.is(received.get('+14155556005'), 'A friend', 'only zero-width spaces: the fallback');
  t.is(received.get('+14155556001'), '👨\u200D👩\u200D👧\u200D👦 Smith', 'the family emoji intact');
});
