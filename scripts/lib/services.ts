import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AwsClients, ProvisionedResources } from '@platform/aws-resources';
import type { EmbeddedAwsEndpoints } from '@platform/aws-resources/embedded';

/** What `services/<name>/src/dev.ts` receives: enough to submit demo work or print a token. */
export interface DevContext {
  /** The environment every service gets (AWS endpoints, credentials, resource names). */
  env: Record<string, string>;
  resources: ProvisionedResources;
  clients: AwsClients;
  endpoints: EmbeddedAwsEndpoints;
  /** Prints a line in the supervisor's output, prefixed with the service name. */
  print(line: string): void;
  /** The local data directory (S3 objects live under `<dataDir>/s3`). */
  dataDir: string;
  /** Base URLs of the HTTP services the supervisor started, e.g. `inviteApi: http://127.0.0.1:3000`. */
  urls: { inviteApi: string };
}

/** The optional `devService` export of `services/<name>/src/dev.ts`. */
export interface DevService {
  replicas?: number;
  env?(ctx: DevContext): Record<string, string> | Promise<Record<string, string>>;
  afterStart?(ctx: DevContext): Promise<void>;
}

export interface ServicePlan {
  name: string;
  entry: string;
  replicas: number;
  dev: DevService | undefined;
}

/** The services npm start knows, in start order, with their default replicas. */
export const KNOWN_SERVICES = [
  { name: 'sms-sender', replicas: 1 },
  { name: 'invite-api', replicas: 1 },
  { name: 'image-worker', replicas: 2 },
] as const;

export async function discoverServices(root: string): Promise<ServicePlan[]> {
  const plans: ServicePlan[] = [];
  for (const known of KNOWN_SERVICES) {
    const entry = join('services', known.name, 'src', 'main.ts');
    if (!existsSync(join(root, entry))) continue;
    const devFile = join(root, 'services', known.name, 'src', 'dev.ts');
    const dev = existsSync(devFile) ? await loadDevService(devFile) : undefined;
    plans.push({ name: known.name, entry, replicas: dev?.replicas ?? known.replicas, dev });
  }
  return plans;
}

async function loadDevService(file: string): Promise<DevService | undefined> {
  const module = (await import(pathToFileURL(file).href)) as { devService?: DevService };
  return module.devService;
}
