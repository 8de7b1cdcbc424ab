// The contract between `npm start` (scripts/start.ts) and each service's optional `src/dev.ts`.
// Type-only imports: this lib has no runtime dependency on the AWS libs (and none on the test kit).
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
