// The Kubernetes manifests (deploy/kubernetes/), built with `kubectl kustomize` as an operator
// would and read as a cluster would: every object valid against the Kubernetes schemas,
// offline (deploy/kubernetes/check.mjs), each service given what docker-compose gives it,
// each subgraph reachable only from its known callers, and the supergraph they ship the one
// supergraph.yaml composes. Skipped, saying so, where kubectl is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { composeSupergraph, readSupergraphConfig } from '../gateway/composition.js';
import { fromRoot } from '../platform/paths.js';

const OVERLAYS = ['dev', 'production'];
const SERVICES = ['gateway', 'users', 'inventory', 'orders', 'notifications'];
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.warn('kubectl is not installed: the Kubernetes manifests are not checked here (CI has it)');
const withKubectl = hasKubectl ? describe : describe.skip;

const check = (...args: string[]) => spawnSync(process.execPath, [fromRoot('deploy/kubernetes/check.mjs'), ...args], { encoding: 'utf8', cwd: fromRoot('.') });
const built = (overlay: string): any[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', fromRoot(`deploy/kubernetes/overlays/${overlay}`)], { encoding: 'utf8' })).map((document) => document.toJS());

withKubectl('the overlays', () => {
  it('every overlay builds and every object validates against the Kubernetes schemas, with probes, limits and a non-root user', () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const overlay of OVERLAYS) expect(result.stdout).toContain(`overlays/${overlay}: `);
  }, 120_000);

  it.each(OVERLAYS)('%s: every service gets every variable docker-compose gives it', (overlay) => {
    const objects = built(overlay);
    const config = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('supergraph-config-'));
    const compose = parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8'), { merge: true });
    for (const service of SERVICES) {
      const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === service);
      const container = deployment.spec.template.spec.containers[0];
      expect(container.envFrom).toEqual([{ configMapRef: { name: config.metadata.name } }]);
      const given = new Set([...Object.keys(config.data), ...container.env.map((variable: { name: string }) => variable.name)]);
      const missing = Object.keys(compose.services[service].environment).filter((name) => !given.has(name));
      expect([service, missing]).toEqual([service, []]);
    }
  });

  it('production takes Redis and NATS from the Secret; dev runs them in the cluster', () => {
    const env = (objects: any[], service: string) =>
      objects.find((object) => object.kind === 'Deployment' && object.metadata.name === service).spec.template.spec.containers[0].env;
    const production = built('production');
    expect(env(production, 'gateway')).toContainEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'supergraph-secrets', key: 'REDIS_URL' } } });
    expect(env(production, 'orders')).toContainEqual({ name: 'NATS_URL', valueFrom: { secretKeyRef: { name: 'supergraph-secrets', key: 'NATS_URL' } } });
    expect(production.filter((object) => object.kind === 'StatefulSet')).toEqual([]);
    const dev = built('dev');
    expect(dev.filter((object) => object.kind === 'StatefulSet').map((object) => object.metadata.name).sort()).toEqual(['nats', 'postgres']);
    expect(dev.find((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('supergraph-config-')).data).toMatchObject({
      REDIS_URL: 'redis://redis:6379',
      NATS_URL: 'nats://nats:4222',
    });
  });

  it('lets only the gateway take outside traffic, and each subgraph only its known callers', () => {
    const objects = built('production');
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const labelsOf = (service: string) =>
      objects.find((object) => object.kind === 'Deployment' && object.metadata.name === service).spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
      Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
    /** Who may open a connection to `service`'s http port: service names, or 'anyone'. */
    const callers = (service: string) => {
      const allowed = new Set<string>();
      for (const policy of policies.filter((each) => selects(each.spec.podSelector.matchLabels, labelsOf(service)))) {
        for (const rule of policy.spec.ingress ?? []) {
          if (!(rule.ports ?? []).some((port: { port: string }) => port.port === 'http')) continue;
          if (!rule.from) allowed.add('anyone');
          for (const peer of rule.from ?? []) {
            if (peer.namespaceSelector || peer.ipBlock) allowed.add('outside');
            for (const caller of SERVICES) if (peer.podSelector && selects(peer.podSelector.matchLabels, labelsOf(caller))) allowed.add(caller);
          }
        }
      }
      return [...allowed].sort();
    };
    expect(policies.find((policy) => policy.metadata.name === 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(Object.fromEntries(SERVICES.map((service) => [service, callers(service)]))).toEqual({
      gateway: ['anyone'],
      users: ['gateway', 'notifications'],
      inventory: ['gateway', 'orders'],
      orders: ['gateway'],
      notifications: ['gateway', 'orders'],
    });
  });

  it('sends outside traffic to the gateway only', () => {
    const ingress = built('production').find((object) => object.kind === 'Ingress');
    const backends = ingress.spec.rules.flatMap((rule: any) => rule.http.paths.map((entry: any) => entry.backend.service.name));
    expect(backends).toEqual(['gateway']);
  });
});

withKubectl('the checker', () => {
  it('refuses a misspelt field, a container without probes or limits, root, and a committed Secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'supergraph-k8s-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      writeFileSync(
        file,
        `apiVersion: apps/v1
kind: Deployment
metadata: { name: careless }
spec:
  selector: { matchLabels: { app: careless } }
  template:
    metadata: { labels: { app: careless } }
    spec:
      securityContext: { seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: careless
          image: supergraph
          livenesProbe: { httpGet: { path: /health, port: 4000 } }
          securityContext: { runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
---
apiVersion: v1
kind: Secret
metadata: { name: supergraph-secrets }
stringData: { JWT_SECRET: committed-by-mistake }
`,
      );
      const result = check('--file', file);
      expect(result.status).toBe(1);
      for (const problem of [
        'Deployment/careless: unknown field spec.template.spec.containers.0.livenesProbe',
        'container careless has no readinessProbe',
        'container careless has no livenessProbe',
        'container careless has no memory limit',
        'container careless has no cpu request',
        'container careless runs as user 0',
        'Secret/supergraph-secrets: a Secret is committed',
      ]) {
        expect(result.stderr).toContain(problem);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the supergraph ConfigMap', () => {
  it('is the composition of supergraph.yaml as it stands (after a schema change: node dist/gateway/compose.js supergraph.yaml deploy/kubernetes/base/supergraph.graphql)', async () => {
    const composed = await composeSupergraph(await readSupergraphConfig(fromRoot('supergraph.yaml')));
    expect(readFileSync(fromRoot('deploy/kubernetes/base/supergraph.graphql'), 'utf8')).toBe(composed);
  });
});
