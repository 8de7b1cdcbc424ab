import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '@platform/aws-resources';
import { queueCounts, type RequestCounter } from '@platform/testkit';
import type { PlannedMessage } from './jobMix.ts';
import { holdings, leaseWrites, sentWithoutLiveLease, type Holding } from './leaseLog.ts';
import { crashes, sigtermExits, type ProcessLife } from './processFleet.ts';

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
  lives: ProcessLife[];
  /** Every worker's S3 requests (If-None-Match enforced) and DynamoDB requests (ledger bodies kept). */
  s3: RequestCounter;
  dynamodb: RequestCounter;
  faultSummary: { s3: string; dynamodb: string };
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
  label: string;
  start: number;
  end: number;
}

const timeOf = (line: Record<string, unknown>) =>
  typeof line.time === 'number' ? line.time : Date.parse(String(line.time));

/** Attempts per job from the workers' own logs; a killed worker's ends when it died. */
export function attemptIntervals(lives: ProcessLife[]): Interval[] {
  const intervals: Interval[] = [];
  for (const life of lives) {
    const open = new Map<string, Interval>();
    for (const line of life.lines) {
      const jobId = typeof line.jobId === 'string' ? line.jobId : undefined;
      if (jobId === undefined) continue;
      if (line.msg === 'job lease acquired') {
        open.set(jobId, { jobId, label: life.label, start: timeOf(line), end: Number.POSITIVE_INFINITY });
      } else if (line.msg === 'job attempt ended') {
        const interval = open.get(jobId);
        if (interval === undefined) continue;
        intervals.push({ ...interval, end: timeOf(line) });
        open.delete(jobId);
      }
    }
    for (const interval of open.values()) intervals.push({ ...interval, end: life.endedAt ?? Date.now() });
  }
  return intervals;
}

/**
 * Each attempt cut to the time its worker really held the lease (from the ledger writes the proxy saw
 * applied): an owner paused past its lease is no longer "processing" once the lease ran out, whatever
 * it believes, so only two live leases at once count as an overlap, and a stale owner's late actions
 * are judged by the PUT check instead.
 */
export function processingIntervals(attempts: Interval[], held: Holding[]): Interval[] {
  const result: Interval[] = [];
  for (const attempt of attempts) {
    for (const h of held) {
      if (h.label !== attempt.label || h.key !== attempt.jobId) continue;
      const start = Math.max(attempt.start, h.from);
      const end = Math.min(attempt.end, h.until);
      if (start < end) result.push({ ...attempt, start, end });
    }
  }
  return result;
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
        if (a !== undefined && b !== undefined && a.label !== b.label && b.start < a.end) found.push([a, b]);
      }
    }
  }
  return found;
}

const count = (lives: ProcessLife[], msg: string) =>
  lives.reduce((n, l) => n + l.lines.filter((line) => line.msg === msg).length, 0);

const statusOf = (ledger: Map<string, Record<string, unknown>>, id: string) => {
  const status = ledger.get(id)?.status;
  return typeof status === 'string' ? status : 'absent';
};

const jobIdOfKey = (key: string | undefined) =>
  key?.startsWith('jobs/') === true ? key.slice('jobs/'.length).replace(/\.[a-z]+$/, '') : undefined;

export async function buildVerdict(facts: RunFacts): Promise<{ rows: Row[]; problems: string[] }> {
  const { clients, planned, lives } = facts;
  const problems: string[] = [];
  const goodJobs = [...new Set(planned.filter((m) => m.kind !== 'poison').map((m) => m.jobId ?? ''))];
  const goodSet = new Set(goodJobs);
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
  // A worker may never hear that its COMPLETED write took effect: killed after the write and before
  // its log line, or the write's answer lost (then its handler can be aborted before a retry reads
  // its own COMPLETED, and it logs the attempt as released). Such a job has no `completed` line, and
  // the ledger's processedBy must name a worker of this run. Two completions are always a violation;
  // exactly one PUT and one object per job are checked separately below.
  const knownOwners = new Set(
    lives.flatMap((l) =>
      l.lines.filter((line) => line.msg === 'image worker started').map((line) => String(line.owner)),
    ),
  );
  const unheardCompletions = goodJobs.filter(
    (id) => (completions.get(id) ?? 0) === 0 && ledger.get(id)?.status === 'COMPLETED',
  ).length;
  const notOnce = goodJobs.filter((id) => {
    const n = completions.get(id) ?? 0;
    return n > 1 || (n === 0 && !knownOwners.has(String(ledger.get(id)?.processedBy)));
  });
  if (notCompleted.length > 0)
    problems.push(
      `not COMPLETED: ${notCompleted
        .slice(0, 10)
        .map((id) => `${id} (${statusOf(ledger, id)})`)
        .join(', ')}`,
    );
  if (notOnce.length > 0)
    problems.push(
      `completed other than once: ${notOnce
        .slice(0, 10)
        .map((id) => `${id}×${completions.get(id) ?? 0}`)
        .join(', ')}`,
    );

  // 2. One object per valid job, its sha256 the ledger's; one successful PUT; nothing for poison.
  const objects = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: facts.bucket, Prefix: 'jobs/', ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const jobId = jobIdOfKey(object.Key) ?? '';
      objects.set(jobId, [...(objects.get(jobId) ?? []), object.Key ?? '']);
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  const wrongObjectCount = goodJobs.filter((id) => objects.get(id)?.length !== 1);
  const shaMismatch: string[] = [];
  const uploadsNotOne: string[] = [];
  // Counted by the proxy from the emulator's 2xx, including PUTs whose answer was then dropped.
  const successfulPuts = facts.s3.successfulPuts();
  for (const id of goodJobs) {
    const key = objects.get(id)?.[0];
    if (key === undefined) continue;
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: facts.bucket, Key: key }));
    const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    if (createHash('sha256').update(bytes).digest('hex') !== ledger.get(id)?.sha256) shaMismatch.push(id);
    const uploads = successfulPuts.get(`${facts.bucket}/${key}`) ?? 0;
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

  // 3. No PUT from a worker whose lease had run out (or that never held one) let through by S3, by
  // the proxy's clocks. A holder paused between its last lease check and the socket write can
  // always SEND late; each attempt is signed to expire with the lease, so S3 (the proxy, as S3
  // does) refuses it with 403 and it takes no effect. Every other late PUT is a violation.
  const writes = leaseWrites(facts.dynamodb.requests(), facts.table);
  const allPuts = facts.s3.requests((r) => r.method === 'PUT' && jobIdOfKey(r.key) !== undefined);
  const puts = allPuts.filter((r) => r.expired !== true);
  const stalePuts = sentWithoutLiveLease(puts, writes, (r) => jobIdOfKey(r.key));
  const refusedLate = sentWithoutLiveLease(
    allPuts.filter((r) => r.expired === true),
    writes,
    (r) => jobIdOfKey(r.key),
  ).length;
  const refusedExpired = allPuts.length - puts.length;
  for (const p of stalePuts.slice(0, 10))
    problems.push(
      `PUT of ${p.key} by ${p.label} ${Number.isFinite(p.lateByMs) ? `${p.lateByMs} ms after its lease expired` : 'without ever holding its lease'} (SDK attempt ${p.attempt ?? '?'})`,
    );

  // 4. No two workers processing one job under live leases at the same time.
  const attempts = attemptIntervals(lives);
  const held = holdings(writes);
  const intervals = processingIntervals(attempts, held);
  const overlapping = overlaps(intervals);
  for (const [a, b] of overlapping.slice(0, 10))
    problems.push(
      `overlap on ${a.jobId}: ${a.label} [${a.start}, ${a.end}) and ${b.label} [${b.start}, ${b.end})`,
    );
  // Information: attempts still running after their lease ran out (an owner paused past it, and
  // whatever it did on resuming).
  const outlived = attempts.filter((a) => {
    const own = held.filter((h) => h.label === a.label && h.key === a.jobId && h.from <= a.end);
    const last = own.reduce<Holding | undefined>(
      (l, h) => (l === undefined || h.until > l.until ? h : l),
      undefined,
    );
    return last !== undefined && last.endedBy === 'expiry' && a.end > last.until;
  }).length;

  // 5. The DLQ holds exactly the poison, each for its reason; no valid job.
  const dead = await drainQueue(clients, facts.dlqUrl);
  const jobIdOf = (m: Message) => {
    try {
      const id = (JSON.parse(m.Body ?? '') as { jobId?: unknown }).jobId;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  };
  const deadValid = dead.filter((m) => goodSet.has(jobIdOf(m) ?? ''));
  const deadPoison = dead.filter((m) => !goodSet.has(jobIdOf(m) ?? ''));
  const deadReasons = deadPoison
    .map((m) => m.MessageAttributes?.['dlq-reason']?.StringValue ?? 'MAX_RECEIVES_EXCEEDED')
    .sort();
  const expectedReasons = poison.map((m) => m.expectedReason ?? '?').sort();
  const reasonsMatch = JSON.stringify(deadReasons) === JSON.stringify(expectedReasons);
  if (!reasonsMatch)
    problems.push(
      `DLQ reasons of poison ${JSON.stringify(deadReasons)} != expected ${JSON.stringify(expectedReasons)}`,
    );
  const deadValidStates = deadValid.map((m) => {
    const id = jobIdOf(m) ?? '';
    return `${id} (ledger ${statusOf(ledger, id)}, ${m.MessageAttributes?.['dlq-reason']?.StringValue ?? 'max receives'})`;
  });
  if (deadValid.length > 0)
    problems.push(`valid jobs dead-lettered: ${deadValidStates.slice(0, 10).join(', ')}`);

  // 6. Nothing left on the main queue, visible or in flight.
  const left = await queueCounts(clients.sqs, facts.queueUrl);
  const leftTotal = left.visible + left.inFlight + left.delayed;
  if (leftTotal > 0) problems.push(`main queue not empty: ${JSON.stringify(left)}`);

  // 7. Every worker that got a SIGTERM exited 0, start-up included.
  const terms = sigtermExits(lives);
  for (const failure of terms.failures) problems.push(`SIGTERM not exit 0: ${failure}`);
  const crashed = crashes(lives);
  for (const c of crashed.slice(0, 10)) problems.push(`worker exited by itself: ${c}`);

  const duplicateSubmissions = planned.filter((m) => m.duplicate).length;
  const signals = (signal: string) =>
    lives.reduce((n, l) => n + l.signals.filter((s) => s.signal === signal).length, 0);
  const retries = stalePuts.filter((p) => (p.attempt ?? 1) > 1).length;
  const lostAnswers = (counter: RequestCounter) => counter.count((r) => r.dropped === 'after-forward');
  const rows: Row[] = [
    {
      check: 'valid jobs COMPLETED exactly once',
      expected: `${goodJobs.length}`,
      observed: `${goodJobs.length - new Set([...notCompleted, ...notOnce]).size}`,
      ok: notCompleted.length === 0 && notOnce.length === 0,
    },
    {
      check: 'valid jobs in the DLQ',
      expected: '0',
      observed:
        deadValid.length === 0
          ? '0'
          : `${deadValid.length} (ledger: ${[...new Set(deadValid.map((m) => statusOf(ledger, jobIdOf(m) ?? '')))].join('/')})`,
      ok: deadValid.length === 0,
    },
    {
      check: 'poison in the DLQ (exact count, by reason)',
      expected: `${poison.length}`,
      observed: `${deadPoison.length}${reasonsMatch ? '' : ' (reasons differ)'}`,
      ok: deadPoison.length === poison.length && reasonsMatch,
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
      check: 'successful S3 PUTs per valid job (proxy)',
      expected: '1',
      observed: uploadsNotOne.length === 0 ? '1 for every job' : `${uploadsNotOne.length} jobs differ`,
      ok: uploadsNotOne.length === 0,
    },
    {
      check: "S3 PUTs let through after their owner's lease expired",
      expected: '0',
      observed: `${stalePuts.length} of ${puts.length}${stalePuts.length > 0 ? ` (${retries} SDK retries, by ${new Set(stalePuts.map((p) => p.label)).size} workers)` : ''}`,
      ok: stalePuts.length === 0,
    },
    {
      check: 'overlapping processing intervals (under live leases)',
      expected: '0',
      observed: `${overlapping.length} (of ${intervals.length} intervals)`,
      ok: overlapping.length === 0,
    },
    {
      check: 'workers exiting 0 on SIGTERM',
      expected: `${terms.total}`,
      observed: `${terms.clean} (${terms.duringStartup} SIGTERMs during start-up)`,
      ok: terms.clean === terms.total,
    },
    {
      check: 'workers that exited without a signal (crashes)',
      expected: '0',
      observed: `${crashed.length}`,
      ok: crashed.length === 0,
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
      check: 'worker lives / SIGKILL / SIGTERM / SIGSTOP',
      expected: '',
      observed: `${lives.length} / ${signals('SIGKILL')} / ${signals('SIGTERM')} / ${signals('SIGSTOP')}`,
      ok: undefined,
    },
    { check: 'S3 faults injected', expected: '', observed: facts.faultSummary.s3, ok: undefined },
    { check: 'DynamoDB faults injected', expected: '', observed: facts.faultSummary.dynamodb, ok: undefined },
    {
      check: 'answers lost after the write took effect (S3 / DynamoDB)',
      expected: '',
      observed: `${lostAnswers(facts.s3)} / ${lostAnswers(facts.dynamodb)}`,
      ok: undefined,
    },
    {
      check: 'S3 PUTs refused 403 as expired (sent late; of them after the lease)',
      expected: '',
      observed: `${refusedExpired} (${refusedLate})`,
      ok: undefined,
    },
    {
      check: 'S3 PUTs refused 412 by If-None-Match',
      expected: '',
      observed: `${facts.s3.count((r) => r.preconditionFailed === true)}`,
      ok: undefined,
    },
    {
      check: 'attempts that outlived their lease (stalled owners)',
      expected: '',
      observed: `${outlived}`,
      ok: undefined,
    },
    {
      check: 'completions the worker never heard (killed, or answer lost)',
      expected: '',
      observed: String(unheardCompletions),
      ok: undefined,
    },
    {
      check: 'attempts cut short by a kill',
      expected: '',
      observed: `${attempts.filter((i) => !lives.some((l) => l.label === i.label && l.lines.some((line) => line.msg === 'job attempt ended' && line.jobId === i.jobId))).length}`,
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
