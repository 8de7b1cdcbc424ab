// Least privilege, checked against the code: each service's policy in iam/ grants exactly the AWS
// actions its source sends (plus what KEDA needs when it borrows the workload's role), on exactly the
// resources the service is configured with.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defineResources } from '@platform/aws-resources';
import { AwsCommandScanner, formatScan, type ServiceScan } from './lib/awsCommandScanner.ts';
import { parse } from 'yaml';
import {
  IAM_DIR,
  POLICY_PLACEHOLDERS,
  TRUST_PLACEHOLDERS,
  actionsOf,
  list,
  placeholdersIn,
  readPolicyText,
  renderPolicy,
  type PolicyDocument,
  type PolicyPlaceholder,
} from './lib/iamPolicy.ts';
import { as } from './lib/k8sSchemas.ts';
import {
  REPO_ROOT,
  SERVICES,
  findAll,
  renderedOverlay,
  type K8sObject,
  type ServiceName,
} from './lib/manifests.ts';
import { deploymentEnv } from './lib/workloads.ts';

/** Loaded before every service's entry by the image (Dockerfile ENTRYPOINT). */
const PRELOADS = ['@platform/service-runtime/register'];
/** SQS actions that take messages off a queue: never on a dead-letter queue. */
const CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];
/** Actions AWS does not scope to a resource; each needs a Condition instead. */
const UNSCOPED_ACTIONS: Record<string, string> = { 'cloudwatch:PutMetricData': 'cloudwatch:namespace' };

const scanner = new AwsCommandScanner(REPO_ROOT);
const scans = new Map<ServiceName, ServiceScan>();
function scan(service: ServiceName): ServiceScan {
  let result = scans.get(service);
  if (result === undefined) {
    result = scanner.scanService(service, PRELOADS);
    scans.set(service, result);
  }
  return result;
}

function queueArn(url: string): string {
  const match = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/([\w-]+)$/.exec(url);
  if (match === null) throw new Error(`not an SQS queue URL: ${url}`);
  return `arn:aws:sqs:${match[1]}:${match[2]}:${match[3]}`;
}

function placeholderValues(env: Record<string, string>): Record<PolicyPlaceholder, string> {
  const accountId = /amazonaws\.com\/(\d{12})\//.exec(
    env.IMAGE_JOBS_QUEUE_URL ?? env.SMS_REQUESTS_QUEUE_URL ?? '',
  )?.[1];
  return {
    AccountId: accountId ?? '',
    Region: env.AWS_REGION ?? '',
    EnvName: env.ENV_NAME ?? '',
    AssetsBucket: env.ASSETS_BUCKET ?? '',
    MetricsNamespace: env.METRICS_NAMESPACE ?? '',
  };
}

/** Actions the cluster needs from the workload's role beyond the code's: KEDA's queue-depth reads. */
function kedaActions(objects: K8sObject[], service: ServiceName): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  for (const scaled of findAll(objects, 'ScaledObject').map(as.scaledObject)) {
    if (scaled.spec.scaleTargetRef.name !== service) continue;
    for (const trigger of scaled.spec.triggers) {
      const auth = findAll(objects, 'TriggerAuthentication')
        .map(as.triggerAuthentication)
        .find((candidate) => candidate.metadata?.name === trigger.authenticationRef?.name);
      if (trigger.type === 'aws-sqs-queue' && auth?.spec.podIdentity?.identityOwner === 'workload') {
        needs.set('sqs:GetQueueAttributes', [queueArn(trigger.metadata.queueURL ?? '')]);
      }
    }
  }
  return needs;
}

/** The resource ARNs a service may touch: those named by its configuration. */
function configuredResources(env: Record<string, string>, service: ServiceName): Set<string> {
  const resources = new Set<string>();
  const account = placeholderValues(env).AccountId;
  const definition = defineResources({ envName: env.ENV_NAME ?? '' });
  for (const [variable, value] of Object.entries(env)) {
    if (/_(QUEUE|DLQ)_URL$/.test(variable)) resources.add(queueArn(value));
    if (/_TOPIC_ARN$/.test(variable)) resources.add(value);
    if (/_TABLE$/.test(variable)) {
      const table = `arn:aws:dynamodb:${env.AWS_REGION}:${account}:table/${value}`;
      resources.add(table);
      const defined = Object.values(definition.tables).find((t) => t.name === value);
      for (const index of defined?.globalSecondaryIndexes ?? [])
        resources.add(`${table}/index/${index.name}`);
    }
  }
  if (env.ASSETS_BUCKET !== undefined && service === 'image-worker') {
    resources.add(`arn:aws:s3:::${env.ASSETS_BUCKET}/jobs/*`);
  }
  // invite-api reads only its share cards (job ids `invite-card-<invitationId>`, domain/shareCard.ts).
  if (env.ASSETS_BUCKET !== undefined && service === 'invite-api') {
    resources.add(`arn:aws:s3:::${env.ASSETS_BUCKET}/jobs/invite-card-*`);
  }
  return resources;
}

for (const service of SERVICES) {
  test(`${service}: the source scan is complete (no unmappable call, every import a declared dependency)`, (t) => {
    const result = scan(service);
    t.log(formatScan(result));
    t.true(result.modules.some((file) => file.startsWith(`services/${service}/src/`)));
    t.true(result.uses.length > 0, 'found AWS calls');
    t.deepEqual(result.problems, []);
    t.deepEqual(result.undeclaredImports, []);
  });

  test(`${service}: iam/${service}.policy.json grants exactly the actions the code sends (+ KEDA's)`, async (t) => {
    const objects = await renderedOverlay('dev');
    const env = deploymentEnv(objects, service);
    const policy = renderPolicy(service, placeholderValues(env));
    const expected = new Set([...scan(service).actions.keys(), ...kedaActions(objects, service).keys()]);
    const granted = actionsOf(policy);
    t.deepEqual(
      [...expected].filter((action) => !granted.has(action)).sort(),
      [],
      'sent by the code but not granted',
    );
    t.deepEqual([...granted].filter((action) => !expected.has(action)).sort(), [], 'granted but never sent');
  });

  test(`${service}: every statement is scoped to the service's own resources`, async (t) => {
    const objects = await renderedOverlay('dev');
    const env = deploymentEnv(objects, service);
    const policy: PolicyDocument = renderPolicy(service, placeholderValues(env));
    const allowed = configuredResources(env, service);
    t.is(policy.Version, '2012-10-17');
    const sids = policy.Statement.map((statement) => statement.Sid);
    t.is(new Set(sids).size, sids.length, 'unique Sids');
    for (const statement of policy.Statement) {
      const where = statement.Sid ?? JSON.stringify(statement);
      t.truthy(statement.Sid, 'every statement has a Sid');
      t.is(statement.Effect, 'Allow', where);
      t.is(statement.NotAction, undefined, where);
      const actions = list(statement.Action);
      t.true(actions.length > 0, where);
      t.true(
        actions.every((action) => !action.includes('*')),
        `${where}: no wildcard action`,
      );
      const prefixes = new Set(actions.map((action) => action.split(':')[0]));
      t.is(prefixes.size, 1, `${where}: one AWS service per statement`);
      const [prefix] = prefixes;
      const resources = list(statement.Resource);
      if (actions.some((action) => action in UNSCOPED_ACTIONS)) {
        t.deepEqual(resources, ['*'], where);
        for (const action of actions) {
          const key = UNSCOPED_ACTIONS[action];
          t.truthy(key, `${where}: ${action} must be in a statement of its own`);
          t.truthy(statement.Condition?.StringEquals?.[key ?? ''], `${where}: conditioned on ${key}`);
        }
        t.is(statement.Condition?.StringEquals?.['cloudwatch:namespace'], env.METRICS_NAMESPACE);
        continue;
      }
      if (prefix === 'sns' && statement.NotResource !== undefined) {
        // SMS to phone numbers has no resource ARN; NotResource on every topic allows only that.
        t.deepEqual(actions, ['sns:Publish'], where);
        t.deepEqual(list(statement.NotResource), ['arn:aws:sns:*:*:*'], where);
        t.is(statement.Resource, undefined, where);
        continue;
      }
      t.is(statement.NotResource, undefined, where);
      t.true(resources.length > 0, where);
      for (const resource of resources) {
        t.false(resource === '*', `${where}: no Resource "*"`);
        t.true(resource.startsWith(`arn:aws:${prefix}:`), `${where}: ${resource} is a ${prefix} resource`);
        t.true(allowed.has(resource), `${where}: ${resource} is one of the service's configured resources`);
        if (resource.endsWith('-dlq')) {
          t.deepEqual(
            actions.filter((action) => CONSUMER_ACTIONS.includes(action)),
            [],
            `${where}: never consumes a DLQ`,
          );
        }
      }
    }
  });

  test(`${service}: DynamoDB queries are granted on the indexes they read (and on tables only when needed)`, async (t) => {
    const objects = await renderedOverlay('dev');
    const env = deploymentEnv(objects, service);
    const policy = renderPolicy(service, placeholderValues(env));
    const queryResources = policy.Statement.filter((s) => list(s.Action).includes('dynamodb:Query')).flatMap(
      (s) => list(s.Resource),
    );
    const queries = scan(service).actions.get('dynamodb:Query') ?? [];
    const needsTable = queries.some((use) => use.readsIndex !== true);
    const needsIndex = queries.some((use) => use.readsIndex !== false);
    t.is(
      queryResources.some((arn) => !arn.includes('/index/')),
      needsTable,
      'table-level Query',
    );
    t.is(
      queryResources.some((arn) => arn.includes('/index/')),
      needsIndex,
      'index-level Query',
    );
  });

  test(`${service}: KEDA's queue-depth read is granted on the queue the ScaledObject watches`, async (t) => {
    const objects = await renderedOverlay('dev');
    const env = deploymentEnv(objects, service);
    const policy = renderPolicy(service, placeholderValues(env));
    const needs = kedaActions(objects, service);
    for (const [action, resources] of needs) {
      const granted = policy.Statement.filter((s) => list(s.Action).includes(action)).flatMap((s) =>
        list(s.Resource),
      );
      for (const resource of resources) t.true(granted.includes(resource), `${action} on ${resource}`);
    }
    t.pass(needs.size === 0 ? 'no KEDA scaler borrows this role' : 'checked');
  });
}

test('IAM documents use only documented placeholders, each explained in docs/deploy.md', (t) => {
  const docsPath = path.join(REPO_ROOT, 'docs', 'deploy.md');
  t.true(existsSync(docsPath), 'docs/deploy.md exists');
  const docs = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '';
  const files = readdirSync(IAM_DIR).filter((file) => file.endsWith('.json'));
  t.true(files.length >= SERVICES.length + 3);
  for (const file of files) {
    const text = readFileSync(path.join(IAM_DIR, file), 'utf8');
    t.notThrows(() => JSON.parse(text) as unknown, `${file} is JSON`);
    const known: readonly string[] = file.includes('trust-policy') ? TRUST_PLACEHOLDERS : POLICY_PLACEHOLDERS;
    const used = placeholdersIn(text);
    t.deepEqual(
      used.filter((name) => !known.includes(name)),
      [],
      `${file}: unknown placeholder`,
    );
    for (const name of used) t.true(docs.includes(`\${${name}}`), `docs/deploy.md explains \${${name}}`);
  }
});

test('IRSA trust templates: web identity from the cluster OIDC provider; the KEDA one also admits keda-operator', (t) => {
  for (const [file, subjects] of [
    ['trust-policy.template.json', 1],
    ['trust-policy-keda.template.json', 2],
  ] as const) {
    const document = JSON.parse(readFileSync(path.join(IAM_DIR, file), 'utf8')) as {
      Statement: {
        Action: string;
        Principal: { Federated: string };
        Condition: { StringEquals: Record<string, string | string[]> };
      }[];
    };
    t.is(document.Statement.length, 1);
    const [statement] = document.Statement;
    t.is(statement?.Action, 'sts:AssumeRoleWithWebIdentity');
    t.is(statement?.Principal.Federated, 'arn:aws:iam::${AccountId}:oidc-provider/${OidcProvider}');
    t.is(statement?.Condition.StringEquals['${OidcProvider}:aud'], 'sts.amazonaws.com');
    const sub = list(statement?.Condition.StringEquals['${OidcProvider}:sub']);
    t.is(sub.length, subjects, file);
    t.true(sub.includes('system:serviceaccount:${Namespace}:${ServiceAccount}'));
    if (subjects === 2) t.true(sub.includes('system:serviceaccount:keda:keda-operator'));
  }
});

test('otel-collector role: only the CloudWatch Logs group its awsemf exporter writes, and X-Ray', (t) => {
  const config = parse(
    readFileSync(path.join(REPO_ROOT, 'observability/otel-collector/config.production.yaml'), 'utf8'),
  ) as {
    exporters: { awsemf: { log_group_name: string } };
  };
  const logGroup = config.exporters.awsemf.log_group_name.replace('${env:ENV_NAME}', '${EnvName}');
  const policy = JSON.parse(readPolicyText('otel-collector')) as PolicyDocument;
  for (const statement of policy.Statement) {
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    t.is(statement.Effect, 'Allow');
    if (actions.every((action) => action.startsWith('xray:'))) {
      // X-Ray's PutTraceSegments/PutTelemetryRecords take no resource ARN.
      t.deepEqual([...actions].sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      t.deepEqual(resources, ['*']);
    } else {
      t.deepEqual([...actions].sort(), ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
      const group = `arn:aws:logs:\${Region}:\${AccountId}:log-group:${logGroup}`;
      t.deepEqual([...resources].sort(), [group, `${group}:log-stream:*`].sort());
    }
  }
});
