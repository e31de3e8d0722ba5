// Offline validation of the deployment files (no cluster, no container engine):
//   node validate.mjs [kubernetes-dir] [compose-file]     (defaults: ../kubernetes, ../compose.yaml)
// - every document of every file under the Kubernetes directory against the Kubernetes OpenAPI
//   schema of its apiVersion/kind (kubernetes-models), and the kustomization against the files;
// - what the deployment relies on across manifests (labels, downward-API variables, RBAC, probes,
//   grace period, selectors, references), so a misspelt key fails here and not in a cluster;
// - the compose file with dclint (the Compose Specification schema and its lint rules).
// Prints one line per file and per problem; exits 0 when there is none, 1 otherwise.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const kubernetesDir = resolve(process.argv[2] ?? join(here, "..", "kubernetes"));
const composeFile = resolve(process.argv[3] ?? join(here, "..", "compose.yaml"));
const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

// ---- Kubernetes: schemas -------------------------------------------------------------------
const files = walk(kubernetesDir).sort();
const objects = []; // { file, doc }
let kustomization = null;
for (const file of files) {
  const name = relative(kubernetesDir, file);
  if (!/\.ya?ml$/.test(file)) { problem(name, "not a YAML manifest"); continue; }
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  let count = 0;
  for (const [index, parsed] of docs.entries()) {
    const where = docs.length > 1 ? `${name}#${index + 1}` : name;
    if (parsed.errors.length > 0) { problem(where, `invalid YAML: ${parsed.errors[0].message}`); continue; }
    const doc = parsed.toJS();
    if (doc === null || doc === undefined) continue;
    count++;
    if (doc.kind === "Kustomization") { kustomization = { file, name, doc }; continue; }
    const error = await validateObject(doc);
    if (error) problem(where, error);
    else objects.push({ file: where, doc });
  }
  console.log(`${name}: ${count} document(s)`);
}

async function validateObject(doc) {
  if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") return "apiVersion and kind are required";
  let module;
  try {
    module = await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`);
  } catch {
    return `unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`;
  }
  const Model = module[doc.kind];
  try {
    new Model(doc).validate();
  } catch (error) {
    const details = (error.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
    return `${doc.kind} ${doc.metadata?.name ?? "?"} does not match the ${doc.apiVersion} schema: ${details || error.message}`;
  }
  if (!doc.metadata?.name) return `${doc.kind} has no metadata.name`;
  return null;
}

// ---- Kubernetes: the kustomization lists exactly the manifests --------------------------------
if (!kustomization) problem("kubernetes", "no kustomization.yaml");
else {
  const listed = (kustomization.doc.resources ?? []).map((r) => resolve(dirname(kustomization.file), r));
  for (const r of listed) if (!existsSync(r)) problem(kustomization.name, `lists ${relative(kubernetesDir, r)}, which does not exist`);
  for (const f of files) if (f !== kustomization.file && !listed.includes(f)) problem(kustomization.name, `does not list ${relative(kubernetesDir, f)}`);
}

// ---- Kubernetes: what the deployment relies on ---------------------------------------------
const find = (kind, name) => objects.find((o) => o.doc.kind === kind && (name === undefined || o.doc.metadata.name === name))?.doc;
const all = (kind) => objects.filter((o) => o.doc.kind === kind).map((o) => o.doc);
const namespace = find("Namespace")?.metadata.name;
if (!namespace) problem("kubernetes", "no Namespace");
for (const { file, doc } of objects)
  if (doc.kind !== "Namespace" && doc.metadata.namespace !== namespace) problem(file, `${doc.kind} ${doc.metadata.name} is not in namespace ${namespace}`);

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v) && Object.keys(selector ?? {}).length > 0;
const deployments = all("Deployment");
const config = find("ConfigMap")?.data ?? {};
const secret = { ...(find("Secret")?.stringData ?? {}), ...(find("Secret")?.data ?? {}) };
const seconds = (span) => { const m = /^(\d+):(\d+):(\d+)$/.exec(span ?? ""); return m ? +m[1] * 3600 + +m[2] * 60 + +m[3] : NaN; };

for (const d of deployments) {
  const where = `Deployment ${d.metadata.name}`;
  const pod = d.spec.template;
  if (!matches(d.spec.selector?.matchLabels, pod.metadata?.labels)) problem(where, "spec.selector does not match the pod template's labels");
  for (const c of pod.spec.containers) {
    if (c.livenessProbe?.httpGet?.path !== "/healthz") problem(where, `container ${c.name}: livenessProbe must GET /healthz`);
    if (c.readinessProbe?.httpGet?.path !== "/readyz") problem(where, `container ${c.name}: readinessProbe must GET /readyz`);
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef && !find("ConfigMap", from.configMapRef.name)) problem(where, `envFrom ConfigMap ${from.configMapRef.name} is not defined`);
      if (from.secretRef && !find("Secret", from.secretRef.name)) problem(where, `envFrom Secret ${from.secretRef.name} is not defined`);
    }
    const env = { ...config, ...secret };
    for (const e of c.env ?? []) env[e.name] = e.value ?? e.valueFrom;
    if (!env.Conversations__Store__ConnectionString || env.Conversations__Store__Provider !== "Postgres") problem(where, "needs Conversations__Store__Provider=Postgres and a connection string");
    if (pod.spec.securityContext?.runAsNonRoot !== true) problem(where, "pods must run as non-root (securityContext.runAsNonRoot)");

    if (env.Orleans__Kubernetes__Enabled === "true") {
      // Orleans' Kubernetes hosting: labels, downward API, RBAC, and a grace period above the drain.
      const labels = pod.metadata.labels ?? {};
      if (labels["orleans/serviceId"] !== (config.Orleans__ServiceId ?? "conversations")) problem(where, "pod label orleans/serviceId must equal Orleans__ServiceId");
      if (labels["orleans/clusterId"] !== (config.Orleans__ClusterId ?? "conversations")) problem(where, "pod label orleans/clusterId must equal Orleans__ClusterId");
      const downward = { POD_NAMESPACE: "metadata.namespace", POD_NAME: "metadata.name", POD_IP: "status.podIP",
        ORLEANS_SERVICE_ID: "metadata.labels['orleans/serviceId']", ORLEANS_CLUSTER_ID: "metadata.labels['orleans/clusterId']" };
      for (const [name, path] of Object.entries(downward))
        if (env[name]?.fieldRef?.fieldPath !== path) problem(where, `${name} must come from the downward API (${path})`);
      const account = pod.spec.serviceAccountName;
      if (!account || !find("ServiceAccount", account)) problem(where, `serviceAccountName ${account} is not defined`);
      const bindings = all("RoleBinding").filter((b) => b.subjects?.some((s) => s.kind === "ServiceAccount" && s.name === account));
      const verbs = new Set(bindings.flatMap((b) => find("Role", b.roleRef.name)?.rules ?? [])
        .filter((r) => r.apiGroups?.includes("") && r.resources?.includes("pods")).flatMap((r) => r.verbs));
      for (const verb of ["get", "watch", "list", "patch"]) if (!verbs.has(verb)) problem(where, `service account ${account} may not ${verb} pods`);
      const drain = seconds(env.Conversations__Silo__ShutdownTimeout ?? "00:00:30");
      if (!(pod.spec.terminationGracePeriodSeconds > drain)) problem(where, `terminationGracePeriodSeconds (${pod.spec.terminationGracePeriodSeconds}) must exceed Conversations__Silo__ShutdownTimeout (${drain} s)`);
    }
  }
}
if (!deployments.some((d) => d.spec.template.spec.containers.some((c) => c.env?.some((e) => e.name === "Orleans__Kubernetes__Enabled" && e.value === "true"))))
  problem("kubernetes", "no silo Deployment with Orleans__Kubernetes__Enabled=true");
for (const s of all("Service"))
  if (!deployments.some((d) => matches(s.spec.selector, d.spec.template.metadata.labels))) problem(`Service ${s.metadata.name}`, "selects no Deployment's pods");
for (const p of all("PodDisruptionBudget"))
  if (!deployments.some((d) => matches(p.spec.selector?.matchLabels, d.spec.template.metadata.labels))) problem(`PodDisruptionBudget ${p.metadata.name}`, "selects no Deployment's pods");
if (all("PodDisruptionBudget").length === 0) problem("kubernetes", "no PodDisruptionBudget");

// ---- Compose -------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const dclint = join(dirname(require.resolve("dclint/package.json")), "bin", "dclint.cjs");
const lint = spawnSync(process.execPath, [dclint, composeFile, "--color=false", "--max-warnings=0"], { encoding: "utf8" });
console.log(`${relative(process.cwd(), composeFile)}: dclint exited ${lint.status}`);
if (lint.status !== 0) problem(relative(process.cwd(), composeFile), `dclint:\n${lint.stdout}${lint.stderr}`);

for (const p of problems) console.log(`PROBLEM ${p}`);
console.log(problems.length === 0 ? `valid: ${objects.length} Kubernetes object(s), compose file` : `${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
