// Autoscaling as rendered: KEDA ScaledObjects for the SQS workers (overlays), the plain-HPA
// component for clusters without KEDA, and the invite-api CPU HPA.
import test from 'ava';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { as, validateObject } from './lib/k8sSchemas.ts';
import {
  OVERLAYS,
  WORKERS,
  findAll,
  findOne,
  renderedOverlay,
  renderWithComponents,
  type K8sObject,
} from './lib/manifests.ts';
import { deploymentEnv } from './lib/workloads.ts';

/** The queue each worker consumes, by the variable that names it in its ConfigMap. */
const CONSUMED_QUEUE_VARIABLE: Record<(typeof WORKERS)[number], string> = {
  'image-worker': 'IMAGE_JOBS_QUEUE_URL',
  'sms-sender': 'SMS_REQUESTS_QUEUE_URL',
};
/** Amazon SNS's default account quota for SMS (AWS General Reference, "Amazon SNS endpoints and quotas"). */
const SNS_ACCOUNT_SMS_PER_SECOND = 20;

function scaledObjects(objects: K8sObject[]): IScaledObject[] {
  return findAll(objects, 'ScaledObject').map(as.scaledObject);
}

function hpas(objects: K8sObject[]): IHorizontalPodAutoscaler[] {
  return findAll(objects, 'HorizontalPodAutoscaler').map(as.hpa);
}

/** Deployment name -> the autoscalers that drive it (KEDA creates its own HPA for a ScaledObject). */
function autoscalersByTarget(objects: K8sObject[]): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  const add = (target: string, by: string): void => {
    targets.set(target, [...(targets.get(target) ?? []), by]);
  };
  for (const scaled of scaledObjects(objects)) {
    add(scaled.spec.scaleTargetRef.name, `ScaledObject/${scaled.metadata?.name}`);
  }
  for (const hpa of hpas(objects)) add(hpa.spec?.scaleTargetRef.name ?? '', `HPA/${hpa.metadata?.name}`);
  return targets;
}

for (const overlay of OVERLAYS) {
  test(`${overlay}: every Deployment has exactly one autoscaler: KEDA for workers, a CPU HPA for invite-api`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const targets = autoscalersByTarget(objects);
    for (const deployment of findAll(objects, 'Deployment'))
      t.is(targets.get(deployment.metadata.name)?.length, 1);
    for (const worker of WORKERS) t.deepEqual(targets.get(worker), [`ScaledObject/${worker}`]);
    const api = as.hpa(findOne(objects, 'HorizontalPodAutoscaler', 'invite-api'));
    t.like(api.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'invite-api' });
    t.is(api.spec?.metrics?.[0]?.resource?.name, 'cpu');
    t.true((api.spec?.minReplicas ?? 0) >= 2 && (api.spec?.maxReplicas ?? 0) > (api.spec?.minReplicas ?? 0));
  });

  for (const worker of WORKERS) {
    test(`${overlay}: ${worker} ScaledObject watches the queue it consumes, counting in-flight messages`, async (t) => {
      const objects = await renderedOverlay(overlay);
      const env = deploymentEnv(objects, worker);
      const scaled = as.scaledObject(findOne(objects, 'ScaledObject', worker));
      t.like(scaled.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: worker });
      t.is(scaled.spec.triggers.length, 1);
      const trigger = scaled.spec.triggers[0];
      t.is(trigger?.type, 'aws-sqs-queue');
      const metadata = trigger?.metadata ?? {};
      t.is(metadata.queueURL, env[CONSUMED_QUEUE_VARIABLE[worker]]);
      t.is(metadata.awsRegion, env.AWS_REGION);
      t.is(metadata.scaleOnInFlight, 'true');
      t.regex(metadata.queueLength ?? '', /^[1-9]\d*$/);
      t.regex(metadata.activationQueueLength ?? '', /^\d+$/);
      if (worker === 'image-worker') {
        // One pod works on WORKER_CONCURRENCY jobs at once (docs/runbooks/scaling.md).
        t.is(metadata.queueLength, env.WORKER_CONCURRENCY);
      }
      const { minReplicaCount = 0, maxReplicaCount = 100 } = scaled.spec;
      t.true(minReplicaCount <= maxReplicaCount);
      t.true((scaled.spec.cooldownPeriod ?? 0) > 0);
      if (overlay === 'prod') t.true(minReplicaCount >= 2, 'prod never scales a worker below two');
      const fallback = scaled.spec.fallback?.replicas;
      t.true(
        fallback !== undefined && fallback >= Math.max(1, minReplicaCount) && fallback <= maxReplicaCount,
      );
    });

    test(`${overlay}: ${worker} TriggerAuthentication uses the workload's IRSA role (podIdentity aws)`, async (t) => {
      const objects = await renderedOverlay(overlay);
      const scaled = as.scaledObject(findOne(objects, 'ScaledObject', worker));
      const reference = scaled.spec.triggers[0]?.authenticationRef;
      t.is(reference?.kind ?? 'TriggerAuthentication', 'TriggerAuthentication');
      const auth = as.triggerAuthentication(findOne(objects, 'TriggerAuthentication', reference?.name ?? ''));
      t.is(auth.metadata?.namespace, scaled.metadata?.namespace);
      t.is(auth.spec.podIdentity?.provider, 'aws');
      // roleArn and identityOwner are mutually exclusive in KEDA's schema.
      t.is(auth.spec.podIdentity?.identityOwner, 'workload');
      t.is(auth.spec.podIdentity?.roleArn, undefined);
      const account = as.serviceAccount(findOne(objects, 'ServiceAccount', worker));
      t.truthy(account.metadata?.annotations?.['eks.amazonaws.com/role-arn']);
    });
  }

  test(`${overlay}: sms-sender cannot exceed the account's SNS SMS rate at its maximum scale`, async (t) => {
    const objects = await renderedOverlay(overlay);
    const env = deploymentEnv(objects, 'sms-sender');
    const scaled = as.scaledObject(findOne(objects, 'ScaledObject', 'sms-sender'));
    const rate = Number(env.SMS_RATE_PER_SECOND);
    t.true(rate > 0);
    if (env.SMS_PROVIDER === 'sns') {
      t.true((scaled.spec.maxReplicaCount ?? 100) * rate <= SNS_ACCOUNT_SMS_PER_SECOND);
    }
  });
}

test('hpa component: valid CPU HPAs for both workers, no KEDA objects, one autoscaler per Deployment', async (t) => {
  const objects = await renderWithComponents(['hpa'], 'hpa-check');
  for (const object of objects)
    t.notThrows(() => validateObject(object), `${object.kind}/${object.metadata.name}`);
  t.deepEqual(findAll(objects, 'ScaledObject'), []);
  t.deepEqual(findAll(objects, 'TriggerAuthentication'), []);
  const targets = autoscalersByTarget(objects);
  for (const deployment of findAll(objects, 'Deployment'))
    t.is(targets.get(deployment.metadata.name)?.length, 1);
  for (const worker of WORKERS) {
    const hpa = as.hpa(findOne(objects, 'HorizontalPodAutoscaler', worker));
    t.like(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: worker });
    const metric = hpa.spec?.metrics?.[0];
    t.is(metric?.type, 'Resource');
    t.is(metric?.resource?.name, 'cpu');
    t.true((hpa.spec?.minReplicas ?? 0) >= 1);
  }
});

test('keda and hpa components together would drive the same Deployments twice', async (t) => {
  // The components are alternatives; this is what the per-Deployment check above catches.
  const objects = await renderWithComponents(['keda', 'hpa'], 'both-check');
  const doubled = [...autoscalersByTarget(objects)]
    .filter(([, by]) => by.length > 1)
    .map(([target]) => target);
  t.deepEqual(doubled.sort(), [...WORKERS].sort());
});
