/**
 * The contract registry: every contract name, its versions and their schemas. The JSON files are
 * the source of truth; the payload types come from them through `src/generated/types.ts`.
 */
import commonV1 from '../schemas/common.v1.schema.json' with { type: 'json' };
import imageJobCompletedV1 from '../schemas/image.job.completed.v1.schema.json' with { type: 'json' };
import imageJobFailedV1 from '../schemas/image.job.failed.v1.schema.json' with { type: 'json' };
import imageJobRequestedV1 from '../schemas/image.job.requested.v1.schema.json' with { type: 'json' };
import smsRequestedV1 from '../schemas/sms.requested.v1.schema.json' with { type: 'json' };
import smsOptOutV1 from '../schemas/sms.optout.v1.schema.json' with { type: 'json' };
import smsStatusV1 from '../schemas/sms.status.v1.schema.json' with { type: 'json' };
import type {
  ImageJobCompletedV1,
  ImageJobFailedV1,
  ImageJobRequestedV1,
  SmsOptoutV1,
  SmsRequestedV1,
  SmsStatusV1,
} from './generated/types.ts';

/** Payload type per contract and version. Adding a version means adding it here and to CONTRACTS. */
export interface ContractPayloads {
  'image.job.requested': { 1: ImageJobRequestedV1 };
  'image.job.completed': { 1: ImageJobCompletedV1 };
  'image.job.failed': { 1: ImageJobFailedV1 };
  'sms.requested': { 1: SmsRequestedV1 };
  'sms.status': { 1: SmsStatusV1 };
  'sms.optout': { 1: SmsOptoutV1 };
}

export type ContractName = keyof ContractPayloads;
export type ContractVersion<C extends ContractName> = keyof ContractPayloads[C] & number;

/** The version producers write unless told otherwise. */
export const LATEST_VERSION = {
  'image.job.requested': 1,
  'image.job.completed': 1,
  'image.job.failed': 1,
  'sms.requested': 1,
  'sms.status': 1,
  'sms.optout': 1,
} as const satisfies { [C in ContractName]: ContractVersion<C> };

export type LatestVersion<C extends ContractName> = (typeof LATEST_VERSION)[C];

export type ContractPayload<
  C extends ContractName,
  V extends ContractVersion<C> = LatestVersion<C>,
> = ContractPayloads[C][V];

/** The current version's payload of each contract. */
export type ImageJobRequested = ContractPayload<'image.job.requested'>;
export type ImageJobCompleted = ContractPayload<'image.job.completed'>;
export type ImageJobFailed = ContractPayload<'image.job.failed'>;
export type SmsRequested = ContractPayload<'sms.requested'>;
export type SmsStatus = ContractPayload<'sms.status'>;
export type SmsOptOut = ContractPayload<'sms.optout'>;

/** A JSON Schema document as read from `schemas/`. */
export interface ContractSchema {
  $id: string;
  title: string;
  [keyword: string]: unknown;
}

export interface ContractEntry<C extends ContractName> {
  latest: LatestVersion<C>;
  versions: { readonly [V in ContractVersion<C>]: ContractSchema };
}

export const CONTRACTS: { readonly [C in ContractName]: ContractEntry<C> } = {
  'image.job.requested': { latest: 1, versions: { 1: imageJobRequestedV1 } },
  'image.job.completed': { latest: 1, versions: { 1: imageJobCompletedV1 } },
  'image.job.failed': { latest: 1, versions: { 1: imageJobFailedV1 } },
  'sms.requested': { latest: 1, versions: { 1: smsRequestedV1 } },
  'sms.status': { latest: 1, versions: { 1: smsStatusV1 } },
  'sms.optout': { latest: 1, versions: { 1: smsOptOutV1 } },
};

export const CONTRACT_NAMES = Object.keys(CONTRACTS) as readonly ContractName[];

/** Schemas that contracts reference but that are not contracts themselves. */
export const SHARED_SCHEMAS: readonly ContractSchema[] = [commonV1];

export function isContractName(name: string): name is ContractName {
  return Object.hasOwn(CONTRACTS, name);
}

export function isSupportedVersion<C extends ContractName>(
  contract: C,
  version: number,
): version is ContractVersion<C> {
  return Object.hasOwn(CONTRACTS[contract].versions, version);
}

/** One registered contract version. */
export type ContractVersionEntry = {
  [C in ContractName]: { contract: C; version: ContractVersion<C>; schema: ContractSchema };
}[ContractName];

/** Every registered (contract, version) pair, e.g. for tests and documentation. */
export function listContractVersions(): ContractVersionEntry[] {
  return CONTRACT_NAMES.flatMap((contract) =>
    Object.entries(CONTRACTS[contract].versions as Readonly<Record<number, ContractSchema>>).map(
      ([version, schema]) => ({ contract, version: Number(version), schema }) as ContractVersionEntry,
    ),
  );
}
