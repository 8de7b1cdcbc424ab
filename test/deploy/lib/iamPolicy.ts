// Reads the IAM policy documents in iam/ and fills in their placeholders.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './manifests.ts';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** Placeholders a permission policy may use; docs/deploy.md says how each is filled in. */
export const POLICY_PLACEHOLDERS = [
  'AccountId',
  'Region',
  'EnvName',
  'AssetsBucket',
  'MetricsNamespace',
] as const;
export type PolicyPlaceholder = (typeof POLICY_PLACEHOLDERS)[number];
/** Placeholders the IRSA trust policy templates add. */
export const TRUST_PLACEHOLDERS = ['AccountId', 'OidcProvider', 'Namespace', 'ServiceAccount'] as const;

export const IAM_DIR = path.join(REPO_ROOT, 'iam');

export function policyPath(name: string): string {
  return path.join(IAM_DIR, `${name}.policy.json`);
}

export function readPolicyText(name: string): string {
  return readFileSync(policyPath(name), 'utf8');
}

export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string))].sort();
}

/** The document with `${Name}` replaced; throws on a placeholder without a value. */
export function renderPolicy(name: string, values: Record<PolicyPlaceholder, string>): PolicyDocument {
  const text = readPolicyText(name).replace(/\$\{(\w+)\}/g, (_, key: string) => {
    const value = values[key as PolicyPlaceholder];
    if (value === undefined) throw new Error(`${name}: no value for \${${key}}`);
    return value;
  });
  return JSON.parse(text) as PolicyDocument;
}

export function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function actionsOf(document: PolicyDocument): Set<string> {
  return new Set(document.Statement.flatMap((statement) => list(statement.Action)));
}
