import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '@platform/aws-resources';
import { queueCounts, type RequestCounter } from '@platform/testkit';
import type { PlannedMessage } from './jobMix.ts';
import type { WorkerLife } from './workerFleet.ts';

export interface Row {
  check: string;
  expected: string;
  observed: string;
  ok: boolean | undefined; // undefined: information only
}

export interface RunFacts {
  clients: AwsClients;
  table: string;
  bucket: string;
  queueUrl: string;
  dlqUrl: string;
  planned: PlannedMessage[];
  lives: WorkerLife[];
  s3: RequestCounter;
}

export async function scanLedger(
  clients: AwsClients,
  table: string,
): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documentClient.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.set(String(item.jobId), item);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Takes every message off the DLQ (the run's queues are deleted afterwards anyway). */
export async function drainQueue(clients: AwsClients, queueUrl: string): Promise<Message[]> {
  const drained: Message[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return drained;
    drained.push(...Messages);
    await clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

interface Interval {
  jobId: string;
  owner: string;
  start: number;
  end: number;
}

/** Lease-holding intervals per job from the workers' own logs; a killed worker's ends when it died. */
export function processingIntervals(lives: WorkerLife[]): Interval[] {
  const intervals: Interval[] = [];
  for (const life of lives) {
    const open = new Map<string, Interval>();
    for (const line of life.lines) {
      const jobId = typeof line.jobId === 'string' ? line.jobId : undefined;
      if (jobId === undefined) continue;
      const at = Date.parse(String(line.time));
      if (line.msg === 'job lease acquired') {
        open.set(jobId, { jobId, owner: String(line.owner), start: at, end: Number.POSITIVE_INFINITY });
      } else if (line.msg === 'job attempt ended') {
        const interval = open.get(jobId);
        if (interval === undefined) continue;
        intervals.push({ ...interval, end: at });
        open.delete(jobId);
      }
    }
    for (const interval of open.values()) intervals.push({ ...interval, end: life.endedAt ?? Date.now() });
  }
  return intervals;
}

export function overlaps(intervals: Interval[]): Array<[Interval, Interval]> {
  const byJob = new Map<string, Interval[]>();
  for (const i of intervals) byJob.set(i.jobId, [...(byJob.get(i.jobId) ?? []), i]);
  const found: Array<[Interval, Interval]> = [];
  for (const list of byJob.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i += 1) {
      for (let j = i + 1; j < list.length; j += 1) {
        const [a, b] = [list[i], list[j]];
        if (a !== undefined && b !== undefined && b.start < a.end) found.push([a, b]);
      }
    }
  }
  return found;
}

const count = (lives: WorkerLife[], msg: string) =>
  lives.reduce((n, l) => n + l.lines.filter((line) => line.msg === msg).length, 0);

export async function buildVerdict(facts: RunFacts): Promise<{ rows: Row[]; problems: string[] }> {
  const { clients, planned, lives } = facts;
  const problems: string[] = [];
  const goodJobs = [...new Set(planned.filter((m) => m.kind !== 'poison').map((m) => m.jobId ?? ''))];
  const poison = planned.filter((m) => m.kind === 'poison');
  const ledger = await scanLedger(clients, facts.table);

  // 1. Every valid job COMPLETED, by exactly one successful attempt.
  const completions = new Map<string, number>();
  for (const life of lives) {
    for (const line of life.lines) {
      if (line.msg === 'job attempt ended' && line.outcome === 'completed')
        completions.set(String(line.jobId), (completions.get(String(line.jobId)) ?? 0) + 1);
    }
  }
  const notCompleted = goodJobs.filter((id) => ledger.get(id)?.status !== 'COMPLETED');
  // A worker can be killed after its COMPLETED write and before it logs it; then the ledger's
  // processedBy must name a worker that was killed. Two completions of one job are always a violation.
  const killedOwners = new Set(
    lives
      .filter((l) => l.killed)
      .flatMap((l) =>
        l.lines.filter((line) => line.msg === 'image worker started').map((line) => String(line.owner)),
      ),
  );
  const notOnce = goodJobs.filter((id) => {
    const n = completions.get(id) ?? 0;
    return n > 1 || (n === 0 && !killedOwners.has(String(ledger.get(id)?.processedBy)));
  });
  if (notCompleted.length > 0) problems.push(`not COMPLETED: ${notCompleted.slice(0, 10).join(', ')}`);
  if (notOnce.length > 0)
    problems.push(
      `completed other than once: ${notOnce
        .slice(0, 10)
        .map((id) => `${id}×${completions.get(id) ?? 0}`)
        .join(', ')}`,
    );

  // 2. One object per valid job, its sha256 the ledger's; one successful upload; nothing for poison.
  const objects = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: facts.bucket, Prefix: 'jobs/', ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const jobId = (object.Key ?? '').slice('jobs/'.length).replace(/\.[a-z]+$/, '');
      objects.set(jobId, [...(objects.get(jobId) ?? []), object.Key ?? '']);
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  const wrongObjectCount = goodJobs.filter((id) => objects.get(id)?.length !== 1);
  const shaMismatch: string[] = [];
  const uploadsNotOne: string[] = [];
  for (const id of goodJobs) {
    const key = objects.get(id)?.[0];
    if (key === undefined) continue;
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: facts.bucket, Key: key }));
    const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    if (createHash('sha256').update(bytes).digest('hex') !== ledger.get(id)?.sha256) shaMismatch.push(id);
    const uploads = facts.s3.count((r) => r.method === 'PUT' && r.key === key && r.status === 200);
    if (uploads !== 1) uploadsNotOne.push(`${id}×${uploads}`);
  }
  const poisonObjects = poison.filter((m) => m.jobId !== undefined && objects.has(m.jobId));
  if (wrongObjectCount.length > 0)
    problems.push(`objects per job != 1: ${wrongObjectCount.slice(0, 10).join(', ')}`);
  if (shaMismatch.length > 0)
    problems.push(`sha256 differs from the ledger: ${shaMismatch.slice(0, 10).join(', ')}`);
  if (uploadsNotOne.length > 0)
    problems.push(`successful uploads != 1: ${uploadsNotOne.slice(0, 10).join(', ')}`);
  if (poisonObjects.length > 0)
    problems.push(`objects for poison jobs: ${poisonObjects.map((m) => m.jobId).join(', ')}`);

  // 3. No two workers ever held one job at the same time.
  const intervals = processingIntervals(lives);
  const overlapping = overlaps(intervals);
  for (const [a, b] of overlapping.slice(0, 10))
    problems.push(
      `overlap on ${a.jobId}: ${a.owner} [${a.start}, ${a.end}) and ${b.owner} [${b.start}, ${b.end})`,
    );

  // 4. Exactly the poison in the DLQ, each for its reason.
  const dead = await drainQueue(clients, facts.dlqUrl);
  const deadReasons = dead
    .map((m) => m.MessageAttributes?.['dlq-reason']?.StringValue ?? 'MAX_RECEIVES_EXCEEDED')
    .sort();
  const expectedReasons = poison.map((m) => m.expectedReason ?? '?').sort();
  const reasonsMatch = JSON.stringify(deadReasons) === JSON.stringify(expectedReasons);
  if (!reasonsMatch)
    problems.push(
      `DLQ reasons ${JSON.stringify(deadReasons)} != expected ${JSON.stringify(expectedReasons)}`,
    );

  // 5. Nothing left on the main queue, visible or in flight.
  const left = await queueCounts(clients.sqs, facts.queueUrl);
  const leftTotal = left.visible + left.inFlight + left.delayed;
  if (leftTotal > 0) problems.push(`main queue not empty: ${JSON.stringify(left)}`);

  const duplicateSubmissions = planned.filter((m) => m.duplicate).length;
  const rows: Row[] = [
    {
      check: 'valid jobs COMPLETED exactly once',
      expected: `${goodJobs.length}`,
      observed: `${goodJobs.length - new Set([...notCompleted, ...notOnce]).size}`,
      ok: notCompleted.length === 0 && notOnce.length === 0,
    },
    {
      check: 'S3 objects per valid job (sha256 = ledger)',
      expected: '1',
      observed:
        wrongObjectCount.length + shaMismatch.length === 0
          ? '1 for every job'
          : `${wrongObjectCount.length} wrong count, ${shaMismatch.length} sha mismatch`,
      ok: wrongObjectCount.length === 0 && shaMismatch.length === 0 && poisonObjects.length === 0,
    },
    {
      check: 'successful S3 PUTs per valid job',
      expected: '1',
      observed: uploadsNotOne.length === 0 ? '1 for every job' : `${uploadsNotOne.length} jobs differ`,
      ok: uploadsNotOne.length === 0,
    },
    {
      check: 'overlapping processing intervals',
      expected: '0',
      observed: `${overlapping.length} (of ${intervals.length} intervals)`,
      ok: overlapping.length === 0,
    },
    {
      check: 'poison in DLQ (exact count, by reason)',
      expected: `${poison.length}`,
      observed: `${dead.length}${reasonsMatch ? '' : ' (reasons differ)'}`,
      ok: dead.length === poison.length && reasonsMatch,
    },
    {
      check: 'messages left on the queue (visible + in flight)',
      expected: '0',
      observed: `${leftTotal}`,
      ok: leftTotal === 0,
    },
    {
      check: 'messages submitted (valid/flaky/poison/duplicate)',
      expected: '',
      observed: `${planned.length} (${planned.filter((m) => m.kind === 'valid' && !m.duplicate).length}/${planned.filter((m) => m.kind === 'flaky').length}/${poison.length}/${duplicateSubmissions})`,
      ok: undefined,
    },
    {
      check: 'worker processes SIGKILLed / started',
      expected: '',
      observed: `${lives.filter((l) => l.killed).length} / ${lives.length}`,
      ok: undefined,
    },
    {
      check: 'attempts cut short by a kill',
      expected: '',
      observed: `${intervals.filter((i) => !lives.some((l) => l.lines.some((line) => line.msg === 'job attempt ended' && line.jobId === i.jobId && line.owner === i.owner))).length}`,
      ok: undefined,
    },
    {
      check: 'duplicate deliveries acknowledged',
      expected: '',
      observed: `${count(lives, 'job already completed; duplicate delivery acknowledged')}`,
      ok: undefined,
    },
    {
      check: 'deliveries deferred (lease live elsewhere)',
      expected: '',
      observed: `${count(lives, 'job leased by another worker; deferring')}`,
      ok: undefined,
    },
    {
      check: 'transient failures retried',
      expected: '',
      observed: `${count(lives, 'job failed transiently; will retry')}`,
      ok: undefined,
    },
  ];
  return { rows, problems };
}

export function formatRows(rows: Row[]): string {
  const header = ['check', 'expected', 'observed', 'verdict'];
  const cells = rows.map((r) => [
    r.check,
    r.expected,
    r.observed,
    r.ok === undefined ? 'info' : r.ok ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
