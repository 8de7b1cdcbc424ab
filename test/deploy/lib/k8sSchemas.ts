// Validates rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models) and the KEDA
// CRD schemas (@kubernetes-models/keda), and narrows them to the models' types for policy checks.
import type { Model, ModelData } from '@kubernetes-models/base';
import {
  ScaledObject,
  TriggerAuthentication,
  type IScaledObject,
  type ITriggerAuthentication,
} from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import {
  Ingress,
  NetworkPolicy,
  type IIngress,
  type INetworkPolicy,
} from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  Secret,
  Service,
  ServiceAccount,
  type IConfigMap,
  type INamespace,
  type IService,
  type IServiceAccount,
} from 'kubernetes-models/v1';
import type { K8sObject } from './manifests.ts';

type Validator = (object: K8sObject) => void;

function validatorFor<T>(model: new (data?: ModelData<T>) => Model<T>): Validator {
  return (object) => new model(object as unknown as ModelData<T>).validate();
}

/** Every kind the manifests may contain; anything else fails validation (add it here on purpose). */
const VALIDATORS: Record<string, Validator> = {
  'v1/ConfigMap': validatorFor(ConfigMap),
  'v1/Namespace': validatorFor(Namespace),
  'v1/Secret': validatorFor(Secret),
  'v1/Service': validatorFor(Service),
  'v1/ServiceAccount': validatorFor(ServiceAccount),
  'apps/v1/Deployment': validatorFor(Deployment),
  'autoscaling/v2/HorizontalPodAutoscaler': validatorFor(HorizontalPodAutoscaler),
  'networking.k8s.io/v1/Ingress': validatorFor(Ingress),
  'networking.k8s.io/v1/NetworkPolicy': validatorFor(NetworkPolicy),
  'policy/v1/PodDisruptionBudget': validatorFor(PodDisruptionBudget),
  'keda.sh/v1alpha1/ScaledObject': validatorFor(ScaledObject),
  'keda.sh/v1alpha1/TriggerAuthentication': validatorFor(TriggerAuthentication),
};

export function schemaKey(object: K8sObject): string {
  return `${object.apiVersion}/${object.kind}`;
}

/** Throws (with the schema's error) when `object` is not valid for its apiVersion and kind. */
export function validateObject(object: K8sObject): void {
  const validate = VALIDATORS[schemaKey(object)];
  if (validate === undefined) throw new Error(`no schema registered for ${schemaKey(object)}`);
  validate(object);
}

/** Typed views, for objects already validated by validateObject. */
export const as = {
  deployment: (object: K8sObject) => object as unknown as IDeployment,
  service: (object: K8sObject) => object as unknown as IService,
  serviceAccount: (object: K8sObject) => object as unknown as IServiceAccount,
  configMap: (object: K8sObject) => object as unknown as IConfigMap,
  namespace: (object: K8sObject) => object as unknown as INamespace,
  hpa: (object: K8sObject) => object as unknown as IHorizontalPodAutoscaler,
  ingress: (object: K8sObject) => object as unknown as IIngress,
  networkPolicy: (object: K8sObject) => object as unknown as INetworkPolicy,
  pdb: (object: K8sObject) => object as unknown as IPodDisruptionBudget,
  scaledObject: (object: K8sObject) => object as unknown as IScaledObject,
  triggerAuthentication: (object: K8sObject) => object as unknown as ITriggerAuthentication,
};
