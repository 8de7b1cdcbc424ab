// Renders kustomizations with the real `kubectl kustomize` and gives typed access to the objects.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const OVERLAYS = ['dev', 'prod'] as const;
export type OverlayName = (typeof OVERLAYS)[number];
export const SERVICES = ['image-worker', 'sms-sender', 'invite-api'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const WORKERS = ['image-worker', 'sms-sender'] as const;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * `kubectl kustomize <dir>` parsed into objects. Throws with kubectl's stderr on failure, and on any
 * warning (kustomize reports deprecated fields such as `commonLabels` there): the overlays must
 * render cleanly.
 */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    const result = await execFileAsync('kubectl', ['kustomize', dir], { maxBuffer: 32 * 1024 * 1024 });
    stdout = result.stdout;
    if (result.stderr.trim() !== '') {
      throw new Error(`kubectl kustomize ${path.relative(REPO_ROOT, dir)} warned: ${result.stderr.trim()}`);
    }
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl kustomize ${path.relative(REPO_ROOT, dir)} failed: ${stderr || String(error)}`, {
      cause: error,
    });
  }
  return parseAllDocuments(stdout).map((document, index) => {
    if (document.errors.length > 0) throw new Error(`document ${index}: ${document.errors.join('; ')}`);
    const object = document.toJS() as K8sObject;
    if (typeof object?.apiVersion !== 'string' || typeof object.kind !== 'string' || !object.metadata?.name) {
      throw new Error(`document ${index} is not a Kubernetes object`);
    }
    return object;
  });
}

export function renderOverlay(overlay: OverlayName): Promise<K8sObject[]> {
  return kustomize(path.join(REPO_ROOT, 'kustomize', 'overlays', overlay));
}

const renderedOverlays = new Map<OverlayName, Promise<K8sObject[]>>();

/**
 * `renderOverlay`, once per overlay and test process: the tests of a file only read the objects, and
 * each `kubectl kustomize` run costs a process and a second or so of CPU.
 */
export function renderedOverlay(overlay: OverlayName): Promise<K8sObject[]> {
  let rendered = renderedOverlays.get(overlay);
  if (rendered === undefined) {
    rendered = renderOverlay(overlay);
    renderedOverlays.set(overlay, rendered);
  }
  return rendered;
}

/**
 * Renders `k8s/` plus the given components through a throwaway kustomization (e.g. the `hpa`
 * component, which no shipped overlay uses).
 */
export async function renderWithComponents(components: string[], namespace: string): Promise<K8sObject[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kustomize-'));
  try {
    const relative = (target: string): string => path.relative(dir, path.join(REPO_ROOT, target));
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `namespace: ${namespace}`,
      'resources:',
      `  - ${relative('k8s')}`,
      'components:',
      ...components.map((component) => `  - ${relative(path.join('kustomize', 'components', component))}`),
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'kustomization.yaml'), kustomization);
    return await kustomize(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function findAll(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function findOne(objects: K8sObject[], kind: string, name: string): K8sObject {
  const matches = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  if (matches.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${matches.length}`);
  return matches[0] as K8sObject;
}

/** The ConfigMap whose generated name is `<name>-<hash>` (or exactly `name`). */
export function configMapNamed(objects: K8sObject[], name: string): Record<string, string> {
  const matches = findAll(objects, 'ConfigMap').filter((object) =>
    new RegExp(`^${name}(-[a-z0-9]{10})?$`).test(object.metadata.name),
  );
  if (matches.length !== 1) throw new Error(`expected one ConfigMap ${name}, found ${matches.length}`);
  return ((matches[0] as K8sObject).data ?? {}) as Record<string, string>;
}

/** True when every label in `selector` is on `labels`. */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
