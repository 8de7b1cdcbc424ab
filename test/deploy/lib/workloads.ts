// Helpers over rendered workloads: the environment a container will see, resource quantities.
import type { IContainer } from 'kubernetes-models/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import { as } from './k8sSchemas.ts';
import { configMapNamed, findAll, findOne, type K8sObject } from './manifests.ts';

/** Downward-API values are only known in a running pod; these stand in for them. */
const FIELD_REF_SAMPLES: Record<string, string> = {
  'metadata.name': 'pod-0',
  'metadata.namespace': 'namespace-0',
  'spec.nodeName': 'node-0',
};

export function podContainers(deployment: IDeployment): IContainer[] {
  return deployment.spec?.template.spec?.containers ?? [];
}

export function mainContainer(deployment: IDeployment): IContainer {
  const containers = podContainers(deployment);
  const container = containers.find((c) => c.name === deployment.metadata?.name) ?? containers[0];
  if (container === undefined) throw new Error(`${deployment.metadata?.name}: no container`);
  return container;
}

/**
 * The environment the container starts with: ConfigMaps from envFrom (in order), then `env`
 * (literal values and downward-API samples). Secrets are not rendered and contribute nothing.
 */
export function containerEnv(objects: K8sObject[], container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  const configMaps = findAll(objects, 'ConfigMap');
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name === undefined) continue;
    const match = configMaps.find((object) => object.metadata.name === name);
    if (match === undefined) throw new Error(`envFrom references a ConfigMap ${name} that is not rendered`);
    const prefix = source.prefix ?? '';
    for (const [key, value] of Object.entries((match.data ?? {}) as Record<string, string>))
      env[prefix + key] = value;
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath !== undefined) env[variable.name] = FIELD_REF_SAMPLES[fieldPath] ?? `field:${fieldPath}`;
    const configMapKey = variable.valueFrom?.configMapKeyRef;
    if (configMapKey !== undefined) {
      const data = configMapNamed(objects, configMapKey.name ?? '');
      const value = data[configMapKey.key];
      if (value !== undefined) env[variable.name] = value;
    }
  }
  return env;
}

/** CPU quantity in cores: `250m` -> 0.25, `2` -> 2. */
export function cpuCores(quantity: string | number): number {
  const text = String(quantity);
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (match === null) throw new Error(`not a CPU quantity: ${text}`);
  return Number(match[1]) / (match[2] === 'm' ? 1000 : 1);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** Memory quantity in bytes: `512Mi` -> 536870912. */
export function memoryBytes(quantity: string | number): number {
  const text = String(quantity);
  const match = /^(\d+(?:\.\d+)?)(k|M|G|Ki|Mi|Gi)?$/.exec(text);
  if (match === null) throw new Error(`not a memory quantity: ${text}`);
  return Number(match[1]) * (MEMORY_UNITS[match[2] ?? ''] as number);
}

/** The environment the main container of Deployment `name` starts with (see `containerEnv`). */
export function deploymentEnv(objects: K8sObject[], name: string): Record<string, string> {
  return containerEnv(objects, mainContainer(as.deployment(findOne(objects, 'Deployment', name))));
}
