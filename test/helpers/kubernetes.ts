// Reads the Kubernetes manifests under deploy/kubernetes and checks objects against the schema of
// their kind and API version (the kubernetes-models package: the Kubernetes OpenAPI schemas
// compiled to validators, offline), and renders a kustomize overlay the way `kubectl kustomize`
// does for the two patch forms the generator writes.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const K8S = join(ROOT, 'deploy', 'kubernetes');

export type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
};

export interface Doc {
  /** path relative to the repository */
  file: string;
  obj: Obj;
}

export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

/** Every YAML document of a file; a syntax error throws naming the file. */
export function readDocs(path: string): Doc[] {
  const file = relative(ROOT, path);
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d, i) => {
    if (d.errors.length) throw new Error(`${file}: document ${i + 1}: ${d.errors[0].message}`);
    return { file, obj: d.toJS() as Obj };
  });
}

export const label = (o: Obj): string => `${o.kind ?? '(no kind)'}/${o.metadata?.name ?? '(no name)'}`;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The kubernetes-models class of an apiVersion and kind, or undefined when the package has none. */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  // the package's layout: kubernetes-models/<group>/<version>/<Kind>, the core group as v1/<Kind>
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass>;
    return mod[kind];
  } catch {
    return undefined;
  }
}

/**
 * Problems of one object against its kind's schema: one line each, naming the file, the
 * kind/name and the field (a JSON pointer into the object). Empty when it validates.
 */
export function schemaProblems(doc: Doc): string[] {
  const { file, obj } = doc;
  if (typeof obj?.apiVersion !== 'string' || typeof obj.kind !== 'string')
    return [`${file}: ${label(obj ?? {})}: apiVersion and kind are required`];
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) return [`${file}: ${label(obj)}: no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message?: string; params?: unknown }[] }).errors;
    if (!errors) return [`${file}: ${label(obj)}: ${(e as Error).message}`];
    return errors.map(
      (x) => `${file}: ${label(obj)}: ${x.instancePath || '/'} ${x.message ?? ''} ${JSON.stringify(x.params ?? {})}`,
    );
  }
}

// --- a small kustomize: resources, namespace, strategic-merge patches by file, JSON6902 removes ---

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Strategic merge for what the patches touch: maps merge, lists of named items merge by name. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((p) => isObj(p) && typeof p.name === 'string')) {
    // as kustomize orders them: the patch's items first (merged into the base's of the same
    // name), then the base's other items
    const named = patch as Record<string, unknown>[];
    const merged = named.map((p) => {
      const b = base.find((x) => isObj(x) && x.name === p.name);
      return b === undefined ? structuredClone(p) : strategicMerge(b, p);
    });
    const rest = base.filter((b) => !(isObj(b) && named.some((p) => p.name === b.name)));
    return [...merged, ...rest.map((b) => structuredClone(b) as unknown)];
  }
  if (isObj(base) && isObj(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v) : structuredClone(v);
    return out;
  }
  return structuredClone(patch);
}

function jsonPatchRemove(obj: Obj, ops: { op: string; path: string }[], where: string): void {
  for (const { op, path } of ops) {
    if (op !== 'remove') throw new Error(`${where}: only "remove" is rendered here, not "${op}"`);
    const keys = path.split('/').slice(1);
    let at: unknown = obj;
    for (const k of keys.slice(0, -1)) at = isObj(at) ? at[k] : undefined;
    const last = keys[keys.length - 1];
    if (!isObj(at) || !(last in at)) throw new Error(`${where}: ${path} does not exist`);
    delete at[last];
  }
}

/** The objects a kustomization directory renders to, with their source files. */
export function renderKustomization(dir: string): Doc[] {
  const kfile = join(dir, 'kustomization.yaml');
  const where = relative(ROOT, kfile);
  const k = readDocs(kfile)[0].obj as Kustomization;
  let docs: Doc[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    if (!existsSync(p)) throw new Error(`${where}: resources: ${r} does not exist`);
    docs.push(...(statSync(p).isDirectory() ? renderKustomization(p) : readDocs(p)));
  }
  for (const [i, p] of (k.patches ?? []).entries()) {
    if (p.path) {
      const path = join(dir, p.path);
      if (!existsSync(path)) throw new Error(`${where}: patches[${i}].path: ${p.path} does not exist`);
      for (const patch of readDocs(path)) {
        const at = docs.findIndex(
          (d) => d.obj.kind === patch.obj.kind && d.obj.metadata?.name === patch.obj.metadata?.name,
        );
        if (at < 0) throw new Error(`${patch.file}: ${label(patch.obj)} patches nothing in ${relative(ROOT, dir)}`);
        docs[at] = { file: patch.file, obj: strategicMerge(docs[at].obj, patch.obj) as Obj };
      }
    } else if (p.patch && p.target) {
      const at = docs.findIndex((d) => d.obj.kind === p.target?.kind && d.obj.metadata?.name === p.target?.name);
      if (at < 0) throw new Error(`${where}: patches[${i}].target ${p.target.kind}/${p.target.name} is not a resource`);
      const ops = readDocsText(p.patch) as { op: string; path: string }[];
      const obj = structuredClone(docs[at].obj);
      jsonPatchRemove(obj, ops, `${where}: patches[${i}]`);
      docs[at] = { file: where, obj };
    } else throw new Error(`${where}: patches[${i}] has neither a path nor a patch with a target`);
  }
  if (k.namespace) {
    const ns = k.namespace;
    docs = docs.map((d) =>
      d.obj.kind === 'Namespace' ? d : { ...d, obj: { ...d.obj, metadata: { ...d.obj.metadata, namespace: ns } } },
    );
  }
  return docs;
}

function readDocsText(text: string): unknown {
  return parseAllDocuments(text)[0].toJS();
}

/** Files a kustomization names as patches (partial objects: validated once applied). */
export function patchFiles(): Set<string> {
  const out = new Set<string>();
  for (const f of yamlFilesUnder(K8S).filter((p) => p.endsWith('kustomization.yaml'))) {
    const k = readDocs(f)[0].obj as Kustomization;
    for (const p of k.patches ?? []) if (p.path) out.add(relative(ROOT, join(dirname(f), p.path)));
  }
  return out;
}

/**
 * Fields the schemas do not know. The OpenAPI schemas let unknown keys through (the API server
 * refuses them only under strict field validation), so every object is also type-checked as an
 * object literal against kubernetes-models' TypeScript interface of its kind, whose excess-property
 * check names any key that is not a field (a misspelt `readinessProbes`). One line per problem,
 * naming the file, the kind/name and the field.
 */
export function unknownFieldProblems(docs: Doc[]): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const file = join(ROOT, 'test', '__kubernetes_fields__.ts');
  const lines: string[] = [];
  const lineOf: number[] = [];
  docs.forEach((d, i) => {
    const { apiVersion, kind } = d.obj;
    lines.push(`import type { I${kind} as T${i} } from 'kubernetes-models/${apiVersion}/${kind}';`);
    lineOf.push(-1);
  });
  docs.forEach((d, i) => {
    for (const l of `export const o${i}: T${i} = ${JSON.stringify(d.obj, null, 1)};`.split('\n')) {
      lines.push(l);
      lineOf.push(i);
    }
  });
  const text = lines.join('\n');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const msg = ts.flattenDiagnosticMessageText(diag.messageText, ' ');
    if (diag.file?.fileName !== file || diag.start === undefined) return `kubernetes-models types: ${msg}`;
    const i = lineOf[diag.file.getLineAndCharacterOfPosition(diag.start).line];
    return i < 0 ? `no types for ${msg}` : `${docs[i].file}: ${label(docs[i].obj)}: ${msg}`;
  });
}
