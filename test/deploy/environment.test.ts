// The configuration each overlay hands the services is the configuration the services accept: it
// is passed through the services' own config readers (the code main.ts runs at start-up) and the
// resource names are checked against the one resource definition (@platform/aws-resources).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { defineResources, type ResourceDefinition } from '@platform/aws-resources';
import { as } from './lib/k8sSchemas.ts';
import {
  OVERLAYS,
  REPO_ROOT,
  SERVICES,
  findAll,
  findOne,
  renderedOverlay,
  type ServiceName,
} from './lib/manifests.ts';
import { deploymentEnv, mainContainer } from './lib/workloads.ts';

type ConfigReader = (env: NodeJS.ProcessEnv) => unknown;

/** The service's `read…Config(env)` from services/<name>/src/config.ts, the function main.ts calls. */
async function configReader(service: ServiceName): Promise<ConfigReader> {
  const file = path.join(REPO_ROOT, 'services', service, 'src', 'config.ts');
  if (!existsSync(file)) throw new Error(`${service} has no src/config.ts yet`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const readers = Object.entries(module).filter(
    ([name, value]) => /^read\w*Config$/.test(name) && typeof value === 'function',
  );
  if (readers.length !== 1)
    throw new Error(`${service}: expected one exported read…Config function in src/config.ts`);
  return (readers[0] as [string, ConfigReader])[1];
}

async function telemetryConfigReader(): Promise<ConfigReader> {
  const file = path.join(REPO_ROOT, 'libs', 'telemetry', 'src', 'config.ts');
  const module = (await import(pathToFileURL(file).href)) as { readTelemetryConfig?: ConfigReader };
  if (typeof module.readTelemetryConfig !== 'function')
    throw new Error('libs/telemetry has no readTelemetryConfig');
  return module.readTelemetryConfig;
}

function problemsOf(read: ConfigReader, env: Record<string, string>): string[] {
  try {
    read(env);
    return [];
  } catch (error) {
    const problems = (error as { problems?: unknown }).problems;
    return Array.isArray(problems) ? problems.map(String) : [String(error)];
  }
}

/** Which resource of the definition each variable names (the variables of resourceEnv()). */
const RESOURCE_VARIABLES: Record<
  string,
  (d: ResourceDefinition) => { kind: 'queue' | 'table' | 'bucket'; name: string }
> = {
  IMAGE_JOBS_QUEUE_URL: (d) => ({ kind: 'queue', name: d.queues.imageJobs.name }),
  IMAGE_JOBS_DLQ_URL: (d) => ({ kind: 'queue', name: d.queues.imageJobs.dlqName }),
  SMS_REQUESTS_QUEUE_URL: (d) => ({ kind: 'queue', name: d.queues.smsRequests.name }),
  SMS_REQUESTS_DLQ_URL: (d) => ({ kind: 'queue', name: d.queues.smsRequests.dlqName }),
  INVITE_EVENTS_QUEUE_URL: (d) => ({ kind: 'queue', name: d.queues.inviteEvents.name }),
  INVITE_EVENTS_DLQ_URL: (d) => ({ kind: 'queue', name: d.queues.inviteEvents.dlqName }),
  IMAGE_JOBS_TABLE: (d) => ({ kind: 'table', name: d.tables.imageJobs.name }),
  INVITATIONS_TABLE: (d) => ({ kind: 'table', name: d.tables.invitations.name }),
  SMS_MESSAGES_TABLE: (d) => ({ kind: 'table', name: d.tables.smsMessages.name }),
  ASSETS_BUCKET: (d) => ({ kind: 'bucket', name: d.bucket.name }),
};

const QUEUE_URL = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/([\w-]+)$/;

for (const overlay of OVERLAYS) {
  for (const service of SERVICES) {
    test(`${overlay}: ${service} accepts its rendered environment (its own config reader and telemetry's)`, async (t) => {
      const objects = await renderedOverlay(overlay);
      const env = deploymentEnv(objects, service);
      t.deepEqual(problemsOf(await configReader(service), env), []);
      t.deepEqual(problemsOf(await telemetryConfigReader(), env), []);
    });
  }

  test(`${overlay}: queue URLs, tables and bucket are this environment's resources from the definition`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const accounts = new Set<string>();
    let checked = 0;
    for (const service of SERVICES) {
      const env = deploymentEnv(objects, service);
      t.is(env.ENV_NAME, overlay);
      const definition = defineResources({ envName: env.ENV_NAME ?? '' });
      for (const [variable, value] of Object.entries(env)) {
        const expected = RESOURCE_VARIABLES[variable]?.(definition);
        if (expected === undefined) continue;
        checked += 1;
        const where = `${service}: ${variable}=${value}`;
        if (expected.kind === 'queue') {
          const match = QUEUE_URL.exec(value);
          t.truthy(match, where);
          t.is(match?.[1], env.AWS_REGION, `${where}: region`);
          t.is(match?.[3], expected.name, where);
          if (match?.[2] !== undefined) accounts.add(match[2]);
        } else if (expected.kind === 'table') {
          t.is(value, expected.name, where);
        } else {
          // Bucket names are global: the definition allows a suffix (e.g. the account id).
          t.true(value === expected.name || value.startsWith(`${expected.name}-`), where);
        }
      }
    }
    t.true(checked >= 10, `${checked} resource variables checked`);
    t.is(accounts.size, 1, `one AWS account per environment: ${[...accounts].join(', ')}`);
  });

  test(`${overlay}: IRSA roles, image registry and queues live in the same account and region`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const env = deploymentEnv(objects, 'image-worker');
    const account = QUEUE_URL.exec(env.IMAGE_JOBS_QUEUE_URL ?? '')?.[2];
    t.truthy(account);
    for (const serviceAccount of findAll(objects, 'ServiceAccount').map(as.serviceAccount)) {
      t.regex(
        serviceAccount.metadata?.annotations?.['eks.amazonaws.com/role-arn'] ?? '',
        new RegExp(`^arn:aws:iam::${account}:`),
      );
    }
    for (const service of SERVICES) {
      const image = mainContainer(as.deployment(findOne(objects, 'Deployment', service))).image ?? '';
      t.true(image.startsWith(`${account}.dkr.ecr.${env.AWS_REGION}.amazonaws.com/`), image);
    }
  });
}
