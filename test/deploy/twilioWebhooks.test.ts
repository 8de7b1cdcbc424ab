// The opt-in `twilio-webhooks` component: renders on top of k8s/, validates against the Kubernetes
// schemas, and routes exactly the webhook paths to the sms-sender's webhook port (config default 8083).
import test from 'ava';
import { as, validateObject } from './lib/k8sSchemas.ts';
import { findAll, findOne, renderWithComponents } from './lib/manifests.ts';

test('twilio-webhooks: Service, Ingress and NetworkPolicy route only /webhooks/twilio/ to port 8083', async (t) => {
  const objects = await renderWithComponents(['twilio-webhooks'], 'event-platform-test');
  for (const object of objects)
    t.notThrows(() => validateObject(object), `${object.kind}/${object.metadata.name}`);

  const deployment = findOne(objects, 'Deployment', 'sms-sender') as unknown as {
    spec: { template: { spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] } } };
  };
  const ports = deployment.spec.template.spec.containers[0]?.ports ?? [];
  t.deepEqual(
    ports.map((p) => [p.name, p.containerPort]),
    [
      ['health', 8082],
      ['webhooks', 8083],
    ],
  );

  const service = as.service(findOne(objects, 'Service', 'sms-sender-webhooks'));
  t.is(service.spec?.ports?.[0]?.targetPort, 'webhooks');
  t.is(service.spec?.selector?.['app.kubernetes.io/name'], 'sms-sender');

  const ingress = as.ingress(findOne(objects, 'Ingress', 'sms-sender-webhooks'));
  const paths = ingress.spec?.rules?.flatMap((rule) => rule.http?.paths ?? []) ?? [];
  t.deepEqual(
    paths.map((p) => [p.path, p.pathType, p.backend.service?.name]),
    [['/webhooks/twilio/', 'Prefix', 'sms-sender-webhooks']],
  );

  const policies = findAll(objects, 'NetworkPolicy').filter((p) => p.metadata.name === 'sms-sender-webhooks');
  t.is(policies.length, 1);
  const spec = policies[0] as unknown as { spec: { ingress: { ports: { port: number }[] }[] } };
  t.deepEqual(
    spec.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port)),
    [8083],
  );
});
