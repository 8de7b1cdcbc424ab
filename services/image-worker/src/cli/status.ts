import { writeFile } from 'node:fs/promises';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import type { LeaseRecord } from '@platform/reliable-consumer';
import type { CliEnvironment } from './environment.ts';
import { CliError, EXIT, type Output } from './output.ts';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A ledger record as a person wants to read it: epoch-ms fields as ISO times, attributes flattened. */
export function describeRecord(record: LeaseRecord): Record<string, unknown> {
  return {
    jobId: record.key,
    status: record.status,
    attempts: record.attempts,
    ...record.attributes,
    lastError: record.lastError,
    leaseOwner: record.leaseOwner,
    leaseExpiresAt: iso(record.leaseExpiresAt),
    fencingVersion: record.version,
    createdAt: iso(record.createdAt),
    startedAt: iso(record.startedAt),
    completedAt: iso(record.completedAt),
    updatedAt: iso(record.updatedAt),
  };
}

async function recordOf(env: CliEnvironment, jobId: string): Promise<LeaseRecord> {
  const record = await env.ledger.get(jobId);
  if (record === undefined) {
    throw new CliError(
      `no ledger record for job ${jobId} in ${env.table}: not picked up yet (still queued), rejected as poison ` +
        '(see `npm run jobs -- dlq list`), or never submitted',
      { exitCode: EXIT.notFound },
    );
  }
  return record;
}

export async function statusCommand(env: CliEnvironment, jobId: string, out: Output): Promise<void> {
  out.json(describeRecord(await recordOf(env, jobId)));
}

export async function getCommand(
  env: CliEnvironment,
  jobId: string,
  file: string,
  out: Output,
): Promise<void> {
  const record = await recordOf(env, jobId);
  const key = record.attributes.key;
  if (record.status !== 'COMPLETED' || typeof key !== 'string') {
    throw new CliError(`job ${jobId} is ${record.status}, not COMPLETED: there is no image yet`, {
      exitCode: EXIT.notFound,
    });
  }
  const bucket = typeof record.attributes.bucket === 'string' ? record.attributes.bucket : env.bucket;
  let bytes: Uint8Array;
  try {
    const object = await env.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new CliError(`the ledger says s3://${bucket}/${key}, but the object is gone`, {
        exitCode: EXIT.notFound,
        cause: error,
      });
    }
    throw error;
  }
  await writeFile(file, bytes);
  out.line(
    `wrote ${bytes.byteLength} bytes (${String(record.attributes.contentType)}) from s3://${bucket}/${key} to ${file}`,
  );
}
