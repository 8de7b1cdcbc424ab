import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DevService } from '@platform/dev-process';

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
