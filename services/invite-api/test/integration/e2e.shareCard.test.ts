/**
 * Share cards end to end (issue 11 item 7), with invite-api and image-worker as real processes on
 * the emulators: creating an invitation makes exactly one `card` job under the id derived from the
 * invitation (a retried create with the same Idempotency-Key makes none), the worker completes it,
 * the landing page's og:image points at the card route, and the route serves the S3 object's bytes.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getJob } from '@platform/image-jobs';
import { useIsolatedAws, waitFor } from '@platform/testkit';
import test from 'ava';
import { LOCAL_DEV_JWT, mintToken } from '../../src/auth/mintToken.ts';
import { startWorkerProcess } from '../../../image-worker/test/helpers/processWorker.ts';
import { startInviteApiProcess } from '../helpers/childService.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('an invitation gets one personalised card, rendered by image-worker and served as og:image', async (t) => {
  const aws = await useIsolatedAws(t);
  const api = await startInviteApiProcess(t, aws);
  t.truthy(
    api.service
      .logs()
      .some((line) => line.json?.msg === 'share cards on: each invitation asks image-worker for its card'),
  );
  const tableName = aws.env.IMAGE_JOBS_TABLE ?? '';
  const bucket = aws.env.ASSETS_BUCKET ?? '';

  const token = await mintToken({ sub: 'ada', name: 'Ada Lovelace', ttlSeconds: 600, ...LOCAL_DEV_JWT });
  const create = () =>
    fetch(`${api.baseUrl}/api/invitations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': 'share-card-e2e-1',
      },
      body: JSON.stringify({ phoneNumber: '+14155550141' }),
    });
  const first = await create();
  const created = (await first.json()) as { invitationId: string; inviteCode: string };
  t.is(first.status, 201, JSON.stringify(created));
  const jobId = `invite-card-${created.invitationId}`;

  // The submit runs after the 201: wait for its record, then retry the create (a client that lost
  // the answer): the replay names the same job.
  await waitFor(
    async () => (await getJob({ ddb: aws.clients.documentClient }, jobId, { tableName }))?.messageSentAt,
    {
      description: 'the card job submitted',
      timeoutMs: 20_000,
      intervalMs: 100,
    },
  );
  const retry = await create();
  t.is(retry.status, 201);
  t.is(((await retry.json()) as { invitationId: string }).invitationId, created.invitationId);

  // Before the worker runs, the page shows the static card and the route redirects to it.
  const early = await fetch(`${api.baseUrl}/invite/${created.inviteCode}/card.png`, { redirect: 'manual' });
  t.is(early.status, 302);
  t.regex(early.headers.get('location') ?? '', /^\/static\/share-card\.png\?v=/);

  await startWorkerProcess(t, aws, 'image-worker');
  const job = await waitFor(
    async () => {
      const view = await getJob({ ddb: aws.clients.documentClient }, jobId, { tableName });
      return view?.state === 'COMPLETED' ? view : undefined;
    },
    { description: 'the card job COMPLETED', timeoutMs: 60_000, intervalMs: 250 },
  );
  t.is(job.request?.template, 'card');
  t.is(job.request?.params.title, 'Ada Lovelace invited you');
  // Exactly one job in the ledger, and one object in the bucket, for two creates.
  const ledger = await aws.clients.documentClient.send(new ScanCommand({ TableName: tableName }));
  t.deepEqual(
    (ledger.Items ?? []).map((item) => String(item.jobId)),
    [jobId],
  );
  const objects = await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'jobs/' }));
  t.deepEqual(
    (objects.Contents ?? []).map((object) => object.Key),
    [job.result?.key],
  );

  const page = await fetch(`${api.baseUrl}/invite/${created.inviteCode}`);
  t.is(page.status, 200);
  const html = await page.text();
  const ogImage = /<meta property="og:image" content="([^"]+)"/.exec(html)?.[1];
  t.is(ogImage, `https://app.example/invite/${created.inviteCode}/card.png`);
  t.true(html.includes(`src="/invite/${created.inviteCode}/card.png"`), 'the page shows the card');
  // Nothing about the phone number on the page.
  t.false(/4155550141|0141/.test(html));

  const card = await fetch(`${api.baseUrl}/invite/${created.inviteCode.toLowerCase()}/card.png`);
  t.is(card.status, 200);
  t.is(card.headers.get('content-type'), 'image/png');
  t.regex(card.headers.get('cache-control') ?? '', /max-age=\d{6,}/);
  const served = new Uint8Array(await card.arrayBuffer());
  const stored = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: job.result?.key }));
  const storedBytes = await stored.Body?.transformToByteArray();
  t.truthy(storedBytes);
  t.is(sha256(served), sha256(storedBytes ?? new Uint8Array()));
  t.is(job.result?.sha256, sha256(served));
  t.deepEqual([...served.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});
