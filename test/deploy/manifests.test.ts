// Renders kustomize/overlays/{dev,prod} with `kubectl kustomize`, validates every object against the
// Kubernetes and KEDA schemas, and enforces the platform's deployment policies on what renders.
import path from 'node:path';
import test from 'ava';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IProbe } from 'kubernetes-models/v1';
import { as, schemaKey, validateObject } from './lib/k8sSchemas.ts';
import {
  OVERLAYS,
  SERVICES,
  WORKERS,
  findAll,
  findOne,
  kustomize,
  REPO_ROOT,
  renderedOverlay,
  selects,
  type K8sObject,
  type OverlayName,
} from './lib/manifests.ts';
import { containerEnv, cpuCores, mainContainer, memoryBytes, podContainers } from './lib/workloads.ts';

const NAMESPACES: Record<OverlayName, string> = { dev: 'event-platform-dev', prod: 'event-platform' };
const COMMON_LABELS = {
  'app.kubernetes.io/part-of': 'event-platform',
  'app.kubernetes.io/managed-by': 'kustomize',
} as const;
const ENVIRONMENT_LABEL = 'event-platform.io/environment';
/** Kinds every service must have, one each, named after the service. */
const PER_SERVICE_KINDS = ['Deployment', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy'] as const;
/** Unprivileged uid/gid range: above the distribution's system and login accounts. */
const MIN_RUN_AS_ID = 10_000;
/** After the drain: the telemetry SDK's final export and process exit. */
const EXIT_MARGIN_MS = 10_000;
const PLACEHOLDER = /set-by-overlay|from-[a-z-]+-config/;
const IRSA_ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/;
/** A release tag (semver, optionally `v`-prefixed) or a digest. */
const RELEASE_IMAGE =
  /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+(?::v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?|@sha256:[a-f0-9]{64})$/;

function deploymentsOf(objects: K8sObject[]): IDeployment[] {
  return findAll(objects, 'Deployment').map(as.deployment);
}

function deploymentName(deployment: IDeployment): string {
  return deployment.metadata?.name ?? '';
}

/** TEST-NET-1 (RFC 5737): the base NetworkPolicy's source until an overlay names the ALB subnets. */
const BASE_ADMITS_NOTHING = '192.0.2.0/24';

test('base: the invite-api NetworkPolicy admits no real source until an overlay says where the ALB is', async (t) => {
  const base = await kustomize(path.join(REPO_ROOT, 'k8s'));
  const policy = as.networkPolicy(findOne(base, 'NetworkPolicy', 'invite-api'));
  t.deepEqual(
    (policy.spec?.ingress ?? []).flatMap((rule) => (rule.from ?? []).map((peer) => peer.ipBlock?.cidr)),
    [BASE_ADMITS_NOTHING],
  );
});

for (const overlay of OVERLAYS) {
  test(`${overlay}: renders and every object matches its Kubernetes or KEDA schema`, async (t) => {
    const objects = await renderedOverlay(overlay);
    t.true(objects.length > 0);
    const invalid: string[] = [];
    for (const object of objects) {
      try {
        validateObject(object);
      } catch (error) {
        invalid.push(`${schemaKey(object)} ${object.metadata.name}: ${String(error)}`);
      }
    }
    t.deepEqual(invalid, []);
  });

  test(`${overlay}: no placeholder from the base survives the overlay`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const leftovers = objects.flatMap((object) => {
      const text = JSON.stringify(object);
      return PLACEHOLDER.test(text)
        ? [`${object.kind}/${object.metadata.name}: ${PLACEHOLDER.exec(text)?.[0]}`]
        : [];
    });
    t.deepEqual(leftovers, []);
  });

  test(`${overlay}: one namespace, enforcing the restricted Pod Security Standard`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const namespace = as.namespace(findOne(objects, 'Namespace', NAMESPACES[overlay]));
    t.is(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      t.is(object.metadata.namespace, NAMESPACES[overlay], `${object.kind}/${object.metadata.name}`);
    }
  });

  test(`${overlay}: environment labels on every object and pod template, never in selectors`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const expected = { ...COMMON_LABELS, [ENVIRONMENT_LABEL]: overlay };
    for (const object of objects) {
      t.like(object.metadata.labels ?? {}, expected, `${object.kind}/${object.metadata.name}`);
    }
    for (const deployment of deploymentsOf(objects)) {
      t.like(deployment.spec?.template.metadata?.labels ?? {}, expected, deploymentName(deployment));
      // Selectors are immutable: a label added later must never become part of one.
      t.deepEqual(Object.keys(deployment.spec?.selector.matchLabels ?? {}), ['app.kubernetes.io/name']);
    }
  });

  test(`${overlay}: each service has its Deployment, ServiceAccount, PodDisruptionBudget and NetworkPolicy`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const service of SERVICES) {
      for (const kind of PER_SERVICE_KINDS)
        t.notThrows(() => findOne(objects, kind, service), `${kind} ${service}`);
    }
    t.is(deploymentsOf(objects).length, SERVICES.length);
  });

  test(`${overlay}: pods run as a numeric non-root user with a locked-down container`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const name = deploymentName(deployment);
      const pod = deployment.spec?.template.spec;
      const podSecurity = pod?.securityContext;
      t.true(podSecurity?.runAsNonRoot, `${name}: runAsNonRoot`);
      t.true((podSecurity?.runAsUser ?? 0) >= MIN_RUN_AS_ID, `${name}: numeric runAsUser`);
      t.true((podSecurity?.runAsGroup ?? 0) >= MIN_RUN_AS_ID, `${name}: numeric runAsGroup`);
      t.is(podSecurity?.seccompProfile?.type, 'RuntimeDefault', `${name}: seccomp`);
      t.false(pod?.automountServiceAccountToken, `${name}: no Kubernetes API token`);
      t.falsy(pod?.hostNetwork ?? pod?.hostPID ?? pod?.hostIPC, `${name}: no host namespaces`);
      for (const container of podContainers(deployment)) {
        const security = container.securityContext;
        const where = `${name}/${container.name}`;
        t.false(security?.allowPrivilegeEscalation, `${where}: allowPrivilegeEscalation`);
        t.true(security?.readOnlyRootFilesystem, `${where}: readOnlyRootFilesystem`);
        t.falsy(security?.privileged, `${where}: privileged`);
        t.deepEqual(security?.capabilities?.drop, ['ALL'], `${where}: drop ALL`);
        t.deepEqual(security?.capabilities?.add ?? [], [], `${where}: no capability added`);
        t.true(security?.runAsNonRoot ?? podSecurity?.runAsNonRoot, `${where}: runAsNonRoot`);
        // A read-only root needs somewhere to write: /tmp from an emptyDir.
        const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
        const volume = pod?.volumes?.find((v) => v.name === tmp?.name);
        t.truthy(volume?.emptyDir, `${where}: /tmp is an emptyDir`);
        t.truthy(volume?.emptyDir?.sizeLimit, `${where}: /tmp has a size limit`);
      }
    }
  });

  test(`${overlay}: every container has CPU and memory requests and limits, requests within limits`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      for (const container of podContainers(deployment)) {
        const where = `${deploymentName(deployment)}/${container.name}`;
        const { requests, limits } = container.resources ?? {};
        for (const resource of ['cpu', 'memory'] as const) {
          t.truthy(requests?.[resource], `${where}: requests.${resource}`);
          t.truthy(limits?.[resource], `${where}: limits.${resource}`);
        }
        if (requests?.cpu !== undefined && limits?.cpu !== undefined) {
          t.true(cpuCores(requests.cpu) <= cpuCores(limits.cpu), `${where}: cpu request <= limit`);
        }
        if (requests?.memory !== undefined && limits?.memory !== undefined) {
          t.true(
            memoryBytes(requests.memory) <= memoryBytes(limits.memory),
            `${where}: memory request <= limit`,
          );
        }
      }
    }
  });

  test(`${overlay}: startup, liveness and readiness probes hit /healthz and /readyz on the service's health port`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const container = mainContainer(deployment);
      const env = containerEnv(objects, container);
      const where = deploymentName(deployment);
      // Workers serve health on HEALTH_PORT, invite-api on its PORT.
      const healthPort = Number(env.HEALTH_PORT ?? env.PORT);
      t.true(Number.isInteger(healthPort) && healthPort > 0, `${where}: HEALTH_PORT or PORT in its config`);
      const probes: [string, IProbe | undefined, string][] = [
        ['startupProbe', container.startupProbe, '/healthz'],
        ['livenessProbe', container.livenessProbe, '/healthz'],
        ['readinessProbe', container.readinessProbe, '/readyz'],
      ];
      for (const [kind, probe, path] of probes) {
        t.is(probe?.httpGet?.path, path, `${where}: ${kind} path`);
        t.is(portNumber(container, probe?.httpGet?.port), healthPort, `${where}: ${kind} port`);
      }
      // The startup probe must allow for the SDK and (image-worker) font and thread start-up.
      const startup = container.startupProbe;
      t.true(
        (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) >= 30,
        `${where}: startup budget >= 30 s`,
      );
    }
  });

  test(`${overlay}: terminationGracePeriodSeconds outlasts the drain (SHUTDOWN_GRACE_MS / SHUTDOWN_TIMEOUT_MS + preStop)`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const container = mainContainer(deployment);
      const env = containerEnv(objects, container);
      const where = deploymentName(deployment);
      const graceMs = (deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      // Workers drain for SHUTDOWN_GRACE_MS, invite-api closes its server within SHUTDOWN_TIMEOUT_MS.
      const drainMs = Number(env.SHUTDOWN_GRACE_MS ?? env.SHUTDOWN_TIMEOUT_MS ?? 0);
      const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      t.true(drainMs > 0, `${where}: its drain time is configured explicitly`);
      t.true(
        graceMs >= preStopMs + drainMs + EXIT_MARGIN_MS,
        `${where}: grace ${graceMs} ms vs drain ${drainMs} ms + preStop ${preStopMs} ms`,
      );
    }
  });

  test(`${overlay}: telemetry environment (service name, OTLP endpoint, downward API)`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const container = mainContainer(deployment);
      const where = deploymentName(deployment);
      const env = containerEnv(objects, container);
      t.is(env.OTEL_SERVICE_NAME, where);
      t.regex(
        env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '',
        /^https?:\/\/[^/]+:4318$/,
        `${where}: OTLP/HTTP endpoint`,
      );
      const fieldRefs = Object.fromEntries(
        (container.env ?? []).map((variable) => [variable.name, variable.valueFrom?.fieldRef?.fieldPath]),
      );
      t.like(fieldRefs, {
        K8S_POD_NAME: 'metadata.name',
        K8S_NAMESPACE: 'metadata.namespace',
        K8S_NODE_NAME: 'spec.nodeName',
      });
      t.is(env.ENV_NAME, overlay, `${where}: ENV_NAME`);
    }
  });

  test(`${overlay}: images are pinned (never latest), prod to a release tag or digest`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      for (const container of podContainers(deployment)) {
        const image = container.image ?? '';
        t.regex(image, /[:@]/, `${image}: has a tag or digest`);
        t.notRegex(image, /:latest$/, `${image}: not latest`);
        t.regex(
          image,
          new RegExp(`/event-platform/${deploymentName(deployment)}[:@]`),
          `${image}: the service's own image`,
        );
        if (overlay === 'prod') t.regex(image, RELEASE_IMAGE, `${image}: release tag or digest`);
      }
    }
  });

  test(`${overlay}: replicas configured, prod runs at least two of everything`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const replicas = deployment.spec?.replicas;
      t.true(Number.isInteger(replicas), `${deploymentName(deployment)}: replicas set`);
      if (overlay === 'prod') t.true((replicas ?? 0) >= 2, `${deploymentName(deployment)}: >= 2 replicas`);
    }
  });

  test(`${overlay}: spread over zones and nodes`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const pod = deployment.spec?.template;
      const constraints = pod?.spec?.topologySpreadConstraints ?? [];
      for (const key of ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']) {
        const constraint = constraints.find((c) => c.topologyKey === key);
        t.truthy(constraint, `${deploymentName(deployment)}: spread by ${key}`);
        t.true(
          selects(constraint?.labelSelector?.matchLabels, pod?.metadata?.labels),
          `${key} selects the pods`,
        );
      }
    }
  });

  test(`${overlay}: ServiceAccounts carry an IRSA role ARN of this environment`, async (t) => {
    const objects = await renderedOverlay(overlay);
    for (const deployment of deploymentsOf(objects)) {
      const accountName = deployment.spec?.template.spec?.serviceAccountName ?? '';
      t.is(accountName, deploymentName(deployment));
      const account = as.serviceAccount(findOne(objects, 'ServiceAccount', accountName));
      const roleArn = account.metadata?.annotations?.['eks.amazonaws.com/role-arn'] ?? '';
      t.regex(roleArn, IRSA_ROLE_ARN);
      t.true(roleArn.endsWith(`/event-platform-${overlay}-${accountName}`), roleArn);
      t.false(account.automountServiceAccountToken);
    }
  });

  test(`${overlay}: one PodDisruptionBudget per Deployment that selects exactly its pods`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const budgets = findAll(objects, 'PodDisruptionBudget').map(as.pdb);
    for (const deployment of deploymentsOf(objects)) {
      const labels = deployment.spec?.template.metadata?.labels;
      const matching = budgets.filter((budget) => selects(budget.spec?.selector?.matchLabels, labels));
      t.is(matching.length, 1, `${deploymentName(deployment)}: PDBs selecting it`);
      const budget = matching[0]?.spec;
      // maxUnavailable keeps node drains possible at any replica count (minAvailable would block
      // them when an autoscaler has scaled down to that number).
      t.is(budget?.maxUnavailable, 1);
    }
  });

  test(`${overlay}: NetworkPolicies: workers accept no connections, invite-api only on its port from the ALB subnets; egress to DNS, HTTPS, OTLP`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const policies = findAll(objects, 'NetworkPolicy').map(as.networkPolicy);
    for (const deployment of deploymentsOf(objects)) {
      const name = deploymentName(deployment);
      const labels = deployment.spec?.template.metadata?.labels;
      const matching = policies.filter((policy) => selects(policy.spec?.podSelector?.matchLabels, labels));
      t.is(matching.length, 1, `${name}: NetworkPolicies selecting it`);
      const spec = matching[0]?.spec;
      t.deepEqual([...(spec?.policyTypes ?? [])].sort(), ['Egress', 'Ingress']);
      const egressPorts = (spec?.egress ?? []).flatMap((rule) =>
        (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`),
      );
      t.deepEqual(
        [...new Set(egressPorts)].sort(),
        ['TCP/4318', 'TCP/443', 'TCP/53', 'UDP/53'],
        `${name}: egress ports`,
      );
      if ((WORKERS as readonly string[]).includes(name)) {
        t.deepEqual(spec?.ingress ?? [], [], `${name}: no ingress rule`);
      } else {
        const container = mainContainer(deployment);
        const port = Number(containerEnv(objects, container).PORT);
        const ingressPorts = (spec?.ingress ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
        t.deepEqual(ingressPorts, [port], `${name}: ingress only on PORT`);
        // Only the ALB's subnets: a rule without `from` (anyone) or with a pod/namespace selector would
        // let a client reach a pod directly and pick its own X-Forwarded-For address.
        const peers = (spec?.ingress ?? []).flatMap((rule) => rule.from ?? []);
        t.true(
          (spec?.ingress ?? []).every((rule) => (rule.from ?? []).length > 0),
          `${name}: every ingress rule names its sources`,
        );
        const cidrs = peers.map((peer) => peer.ipBlock?.cidr ?? '');
        t.true(
          peers.every(
            (peer) =>
              peer.ipBlock !== undefined &&
              peer.podSelector === undefined &&
              peer.namespaceSelector === undefined,
          ),
          `${name}: sources are address blocks only`,
        );
        for (const cidr of cidrs) {
          t.regex(
            cidr,
            /^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2\d|3[0-2])$/,
            `${name}: ${cidr} is a subnet, not the world`,
          );
          t.not(cidr, BASE_ADMITS_NOTHING, `${name}: the overlay sets the load balancer subnets`);
        }
        const ingress = as.ingress(findOne(objects, 'Ingress', name));
        const subnets = (ingress.metadata?.annotations?.['alb.ingress.kubernetes.io/subnets'] ?? '')
          .split(',')
          .map((subnet) => subnet.trim())
          .filter((subnet) => subnet !== '');
        t.is(subnets.length, cidrs.length, `${name}: the ALB is placed in the subnets the policy admits`);
        t.true(
          subnets.every((subnet) => /^subnet-[0-9a-f]{8,17}$/.test(subnet)),
          subnets.join(','),
        );
      }
    }
  });

  test(`${overlay}: invite-api is reachable through a Service and an Ingress on its named port`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const deployment = as.deployment(findOne(objects, 'Deployment', 'invite-api'));
    const service = as.service(findOne(objects, 'Service', 'invite-api'));
    t.true(selects(service.spec?.selector, deployment.spec?.template.metadata?.labels));
    const containerPorts = mainContainer(deployment).ports?.map((p) => p.name) ?? [];
    for (const port of service.spec?.ports ?? []) t.true(containerPorts.includes(String(port.targetPort)));
    const ingress = as.ingress(findOne(objects, 'Ingress', 'invite-api'));
    const backends = (ingress.spec?.rules ?? []).flatMap(
      (rule) => rule.http?.paths.map((p) => p.backend.service) ?? [],
    );
    t.true(backends.length > 0);
    for (const backend of backends) {
      t.is(backend?.name, 'invite-api');
      t.true((service.spec?.ports ?? []).some((p) => p.name === backend?.port?.name));
    }
    const host = ingress.spec?.rules?.[0]?.host ?? '';
    t.regex(host, /^[a-z0-9.-]+\.[a-z]{2,}$/);
    t.regex(
      ingress.metadata?.annotations?.['alb.ingress.kubernetes.io/certificate-arn'] ?? '',
      /^arn:aws:acm:/,
    );
    t.is(ingress.metadata?.annotations?.['alb.ingress.kubernetes.io/healthcheck-path'], '/readyz');
  });

  test(`${overlay}: secrets are only referenced (optional envFrom), never rendered`, async (t) => {
    const objects = await renderedOverlay(overlay);
    t.deepEqual(findAll(objects, 'Secret'), []);
    for (const deployment of deploymentsOf(objects)) {
      const container: IContainer = mainContainer(deployment);
      for (const source of container.envFrom ?? []) {
        if (source.secretRef !== undefined)
          t.true(source.secretRef.optional, `${deploymentName(deployment)}: optional`);
      }
    }
  });
}

function portNumber(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
