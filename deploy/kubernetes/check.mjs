#!/usr/bin/env node
// Validates the Kubernetes manifests offline, as CI does (no cluster, no schema download):
//   node deploy/kubernetes/check.mjs                 every overlay, built with `kubectl kustomize`
//   node deploy/kubernetes/check.mjs --file x.yaml   one multi-document YAML file as it is
// Each object is checked three ways:
//   1. against the Kubernetes OpenAPI schema of its kind (the npm package kubernetes-models:
//      types, required fields, enums, formats);
//   2. for fields the schema does not know (a misspelt `livenesProbe` is silently dropped by
//      the API server): TypeScript type-checks each object against the same package's
//      interfaces, whose excess-property check names any unknown field;
//   3. against this project's rules: every container has readiness and liveness probes,
//      requests and limits, runs as a non-root user on a read-only root filesystem without
//      privilege escalation or capabilities; every ConfigMap, Service, Deployment and port a
//      reference names exists in the same build; no Secret is committed (the operator makes
//      them).
// Exits 1 and lists every problem as `<source>: <Kind>/<name>: <problem>`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Secrets the manifests may name: the operator creates them (docs/operations.md#kubernetes). */
const OPERATOR_SECRETS = new Set(['supergraph-secrets', 'supergraph-tls']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** The objects of a multi-document YAML text. */
function objectsOf(text) {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
      return document.toJS();
    })
    .filter(Boolean);
}

const label = (object) => `${object.kind}/${object.metadata?.name ?? '?'}`;

// Private: kubernetes-models lays its modules out by API group and version.
const modulePath = (apiVersion) => `kubernetes-models/${apiVersion.includes('/') ? apiVersion : `v1`}`;

/** 1. The OpenAPI schema of each object's kind. */
async function schemaProblems(objects) {
  const problems = [];
  for (const object of objects) {
    let models;
    try {
      models = await import(modulePath(object.apiVersion));
    } catch {
      problems.push(`${label(object)}: no schema for apiVersion ${object.apiVersion}`);
      continue;
    }
    const Model = models[object.kind];
    if (!Model) {
      problems.push(`${label(object)}: no schema for ${object.kind} in ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${label(object)}: ${error.message}`);
    }
  }
  return problems;
}

/**
 * 2. Unknown fields. Each object becomes a TypeScript constant typed with the models'
 * interface for its kind; every object literal in it is then compared, field by field, with
 * the type TypeScript expects there (maps such as labels accept any key).
 */
function unknownFieldProblems(objects) {
  const file = path.join(here, '__manifests__.ts');
  const text = objects
    .map((object, i) => `import type { I${object.kind} as T${i} } from '${modulePath(object.apiVersion)}/${object.kind}';\nexport const object${i}: T${i} = ${JSON.stringify(object)};`)
    .join('\n');
  const options = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, text, version, true) : getSourceFile.call(host, name, version, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = ts.createProgram({ rootNames: [file], options, host });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const problems = [];
  // A kind the package has no interface for would otherwise pass unchecked.
  for (const diagnostic of ts.getPreEmitDiagnostics(program, source)) {
    if (diagnostic.code === 2307 || diagnostic.code === 2305 || diagnostic.code === 2724) problems.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '));
  }
  const statements = source.statements.filter(ts.isVariableStatement);
  const pathTo = (node) => {
    const parts = [];
    for (let at = node; at && !ts.isVariableDeclaration(at); at = at.parent) {
      if (ts.isPropertyAssignment(at)) parts.unshift(at.name.text);
      else if (ts.isArrayLiteralExpression(at.parent ?? {})) parts.unshift(String(at.parent.elements.indexOf(at)));
    }
    return parts.join('.');
  };
  statements.forEach((statement, i) => {
    const visit = (node) => {
      if (ts.isObjectLiteralExpression(node)) {
        const expected = checker.getContextualType(node);
        const type = expected && checker.getApparentType(checker.getNonNullableType(expected));
        const isMap = type && (checker.getIndexInfoOfType(type, ts.IndexKind.String) || type.flags & ts.TypeFlags.Any);
        if (type && !isMap && !type.isUnion()) {
          for (const property of node.properties) {
            if (ts.isPropertyAssignment(property) && !checker.getPropertyOfType(type, property.name.text)) {
              problems.push(`${label(objects[i])}: unknown field ${pathTo(property)} (${checker.typeToString(type)} has no ${property.name.text})`);
            }
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(statement);
  });
  return problems;
}

/** Every container (and init container) of a workload, with its pod spec. */
function containersOf(object) {
  const pod = object.spec?.template?.spec;
  if (!pod) return [];
  return [...(pod.containers ?? []).map((container) => ({ container, pod, init: false })), ...(pod.initContainers ?? []).map((container) => ({ container, pod, init: true }))];
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);

/** 3. This project's rules, and references that must resolve inside the build. */
function ruleProblems(objects) {
  const problems = [];
  const named = (kind) => new Map(objects.filter((object) => object.kind === kind).map((object) => [object.metadata.name, object]));
  const configMaps = named('ConfigMap');
  const services = named('Service');
  const workloads = objects.filter((object) => WORKLOADS.has(object.kind));
  const podLabels = workloads.map((workload) => workload.spec.template.metadata?.labels ?? {});

  for (const object of objects.filter((each) => each.kind === 'Secret')) {
    problems.push(`${label(object)}: a Secret is committed; the operator creates secrets (docs/operations.md#kubernetes)`);
  }

  for (const workload of workloads) {
    const pod = workload.spec.template.spec;
    const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]));
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${label(workload)}: pod seccompProfile is not RuntimeDefault`);
    if (!matches(workload.spec.selector?.matchLabels, workload.spec.template.metadata?.labels)) problems.push(`${label(workload)}: selector does not match its pod labels`);
    for (const volume of volumes.values()) {
      if (volume.configMap && !configMaps.has(volume.configMap.name)) problems.push(`${label(workload)}: volume ${volume.name} names ConfigMap ${volume.configMap.name}, which is not in the build`);
      if (volume.secret && !OPERATOR_SECRETS.has(volume.secret.secretName)) problems.push(`${label(workload)}: volume ${volume.name} names Secret ${volume.secret.secretName}, which the operator does not make`);
    }
    const claims = new Set((workload.spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name));
    for (const { container, init } of containersOf(workload)) {
      const where = `${label(workload)}: container ${container.name}`;
      if (!init) {
        for (const probe of ['readinessProbe', 'livenessProbe']) if (!container[probe]) problems.push(`${where} has no ${probe}`);
      }
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) if (container.resources?.[kind]?.[resource] === undefined) problems.push(`${where} has no ${resource} ${kind.slice(0, -1)}`);
      }
      const security = container.securityContext ?? {};
      const runAsNonRoot = security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const runAsUser = security.runAsUser ?? pod.securityContext?.runAsUser;
      if (runAsNonRoot !== true) problems.push(`${where} may run as root (runAsNonRoot is not true)`);
      if (runAsUser === 0) problems.push(`${where} runs as user 0`);
      if (security.readOnlyRootFilesystem !== true) problems.push(`${where} has a writable root filesystem`);
      if (security.allowPrivilegeEscalation !== false) problems.push(`${where} allows privilege escalation`);
      if (!(security.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where} does not drop ALL capabilities`);
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name) && !claims.has(mount.name)) problems.push(`${where} mounts ${mount.name}, which is no volume of the pod`);
      }
      const portNames = new Set((container.ports ?? []).map((port) => port.name));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const port = container[probe]?.httpGet?.port ?? container[probe]?.tcpSocket?.port;
        if (typeof port === 'string' && !portNames.has(port)) problems.push(`${where}: ${probe} names port ${port}, which it does not have`);
      }
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !configMaps.has(source.configMapRef.name)) problems.push(`${where}: envFrom names ConfigMap ${source.configMapRef.name}, which is not in the build`);
        if (source.secretRef && !OPERATOR_SECRETS.has(source.secretRef.name)) problems.push(`${where}: envFrom names Secret ${source.secretRef.name}, which the operator does not make`);
      }
      for (const variable of container.env ?? []) {
        const secret = variable.valueFrom?.secretKeyRef;
        if (secret && !OPERATOR_SECRETS.has(secret.name)) problems.push(`${where}: ${variable.name} comes from Secret ${secret.name}, which the operator does not make`);
        const configMap = variable.valueFrom?.configMapKeyRef;
        if (configMap && !configMaps.get(configMap.name)?.data?.[configMap.key]) problems.push(`${where}: ${variable.name} comes from ConfigMap key ${configMap.name}/${configMap.key}, which is not in the build`);
      }
    }
  }

  for (const service of services.values()) {
    const selected = workloads.filter((workload) => matches(service.spec.selector, workload.spec.template.metadata?.labels));
    if (selected.length === 0) problems.push(`${label(service)}: selects no pods`);
    for (const port of service.spec.ports ?? []) {
      if (typeof port.targetPort !== 'string') continue;
      for (const workload of selected) {
        const names = containersOf(workload).flatMap(({ container }) => (container.ports ?? []).map((each) => each.name));
        if (!names.includes(port.targetPort)) problems.push(`${label(service)}: targetPort ${port.targetPort} is no port of ${label(workload)}`);
      }
    }
  }

  for (const object of objects) {
    const target = object.spec?.scaleTargetRef;
    if (object.kind === 'HorizontalPodAutoscaler' && !workloads.some((workload) => workload.kind === target.kind && workload.metadata.name === target.name)) {
      problems.push(`${label(object)}: scales ${target.kind}/${target.name}, which is not in the build`);
    }
    if (object.kind === 'HorizontalPodAutoscaler' && object.spec.minReplicas > object.spec.maxReplicas) problems.push(`${label(object)}: minReplicas above maxReplicas`);
    // A budget or a policy for pods that do not exist protects nothing (an empty policy
    // selector is every pod, which is meant).
    const selector = object.kind === 'PodDisruptionBudget' ? object.spec.selector?.matchLabels : object.kind === 'NetworkPolicy' ? object.spec.podSelector?.matchLabels : undefined;
    if (selector && Object.keys(selector).length > 0 && !podLabels.some((labels) => matches(selector, labels))) problems.push(`${label(object)}: selects no pods`);
    if (object.kind === 'NetworkPolicy') {
      for (const rule of object.spec.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          if (peer.podSelector && !podLabels.some((labels) => matches(peer.podSelector.matchLabels, labels))) problems.push(`${label(object)}: lets in pods that do not exist (${JSON.stringify(peer.podSelector.matchLabels)})`);
        }
      }
    }
    if (object.kind === 'Ingress') {
      for (const rule of object.spec.rules ?? []) {
        for (const entry of rule.http?.paths ?? []) {
          const backend = entry.backend.service;
          const service = services.get(backend.name);
          if (!service) problems.push(`${label(object)}: ${entry.path} goes to Service ${backend.name}, which is not in the build`);
          else if (backend.port.name && !service.spec.ports.some((port) => port.name === backend.port.name)) problems.push(`${label(object)}: ${entry.path} goes to port ${backend.port.name}, which ${label(service)} does not have`);
        }
      }
      for (const tls of object.spec.tls ?? []) if (!OPERATOR_SECRETS.has(tls.secretName)) problems.push(`${label(object)}: TLS from Secret ${tls.secretName}, which the operator does not make`);
    }
  }
  return problems;
}

/** Every problem in a list of objects, each prefixed with `source`. */
export async function check(objects, source) {
  const problems = [...(await schemaProblems(objects)), ...unknownFieldProblems(objects), ...ruleProblems(objects)];
  return problems.map((problem) => `${source}: ${problem}`);
}

async function main() {
  const args = process.argv.slice(2);
  const sources = [];
  if (args[0] === '--file') {
    sources.push({ name: args[1], text: readFileSync(args[1], 'utf8') });
  } else {
    const overlays = path.join(here, 'overlays');
    for (const overlay of readdirSync(overlays).sort()) {
      const text = execFileSync('kubectl', ['kustomize', path.join(overlays, overlay)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      sources.push({ name: `overlays/${overlay}`, text });
    }
  }
  let failed = false;
  for (const { name, text } of sources) {
    const objects = objectsOf(text);
    const problems = await check(objects, name);
    if (problems.length > 0) {
      failed = true;
      for (const problem of problems) console.error(problem);
    } else {
      const kinds = [...new Set(objects.map((object) => object.kind))].sort().join(', ');
      console.log(`${name}: ${objects.length} objects valid (${kinds})`);
    }
  }
  process.exit(failed ? 1 : 0);
}

await main();
