import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type PublicAccessBlockConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BucketDefinition } from './definition.ts';
import { isUnsupportedOperation, ProvisionError } from './errors.ts';
import { newReport, type ResourceReport } from './report.ts';
import { sdkErrorInfo } from '@platform/errors';

const BLOCK_ALL: Required<PublicAccessBlockConfiguration> = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export async function provisionBucket(
  s3: S3Client,
  region: string,
  bucket: BucketDefinition,
): Promise<{ bucket: { name: string }; report: ResourceReport }> {
  const report = newReport('bucket', bucket.name);
  if (!(await bucketExists(s3, bucket.name))) {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket.name,
        // us-east-1 is the one region that rejects an explicit LocationConstraint.
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    report.action = 'created';
  }
  if (bucket.blockPublicAccess) await ensurePublicAccessBlock(s3, bucket.name, report);
  await checkVersioning(s3, bucket, report);
  return { bucket: { name: bucket.name }, report };
}

async function bucketExists(s3: S3Client, name: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (err) {
    const { status } = sdkErrorInfo(err);
    if (status === 404) return false;
    if (status === 403) {
      // Bucket names are global: someone else owns this one. Choose another with bucketName/bucketSuffix.
      throw new ProvisionError(
        name,
        'bucket exists but belongs to another account (403); set a bucket override',
        {
          cause: err,
        },
      );
    }
    throw new ProvisionError(name, 'HeadBucket failed', { cause: err });
  }
}

async function readPublicAccessBlock(
  s3: S3Client,
  name: string,
): Promise<PublicAccessBlockConfiguration | undefined> {
  try {
    return (await s3.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration;
  } catch (err) {
    if (sdkErrorInfo(err).name === 'NoSuchPublicAccessBlockConfiguration') return undefined;
    throw err;
  }
}

function blocksAll(config: PublicAccessBlockConfiguration | undefined): boolean {
  return (Object.keys(BLOCK_ALL) as (keyof PublicAccessBlockConfiguration)[]).every(
    (k) => config?.[k] === true,
  );
}

async function ensurePublicAccessBlock(s3: S3Client, name: string, report: ResourceReport): Promise<void> {
  try {
    if (blocksAll(await readPublicAccessBlock(s3, name))) return;
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: BLOCK_ALL }),
    );
    // Some emulators answer 200 to PutPublicAccessBlock without storing it; read back before claiming it.
    if (!blocksAll(await readPublicAccessBlock(s3, name))) {
      report.notes.push('endpoint accepts but does not keep PublicAccessBlock');
      return;
    }
    if (report.action === 'kept') {
      report.action = 'updated';
      report.changes.push('public access blocked');
    }
  } catch (err) {
    if (!isUnsupportedOperation(err)) throw new ProvisionError(name, 'public access block', { cause: err });
    report.notes.push('endpoint does not support PublicAccessBlock');
  }
}

async function checkVersioning(
  s3: S3Client,
  bucket: BucketDefinition,
  report: ResourceReport,
): Promise<void> {
  try {
    const status = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket.name }))).Status;
    const enabled = status === 'Enabled';
    // Versioning can be suspended but never removed, so either direction is left to a person.
    if (enabled !== bucket.versioning)
      report.drift.push(
        `versioning is ${status ?? 'off'}, definition says ${bucket.versioning ? 'Enabled' : 'off'}`,
      );
  } catch (err) {
    if (!isUnsupportedOperation(err)) throw new ProvisionError(bucket.name, 'versioning', { cause: err });
    report.notes.push('endpoint does not support versioning');
  }
}
