// Discovery: the registry is built from the workspaces, not from a list. A workspace is a stage
// when its package.json says which export holds its manifest:
//   "vnflab": { "stage": "nicStage" }
// so a new stage is one folder under services/ (see docs/architecture.md, "Adding a stage").

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StageRegistry, type StageDefinition } from './registry';

interface PackageJson {
  name?: string;
  workspaces?: string[];
  vnflab?: { stage?: string };
}

function readPackage(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** The repository root: the nearest directory above `from` whose package.json lists workspaces. */
export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (readPackage(dir)?.workspaces) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json with "workspaces" above ${from}`);
  }
}

/** Workspace directories in the order the root package.json lists them (`dir/*` globs expanded, sorted). */
export function workspaceDirs(root = workspaceRoot()): string[] {
  const out: string[] = [];
  for (const pattern of readPackage(root)?.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = join(root, pattern.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const d of readdirSync(base, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()) {
        if (existsSync(join(base, d, 'package.json'))) out.push(join(base, d));
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) out.push(join(root, pattern));
  }
  return out;
}

/** The stage packages: name and the export that holds the manifest. */
export function stagePackages(root = workspaceRoot()): { name: string; dir: string; exportName: string }[] {
  return workspaceDirs(root).flatMap((dir) => {
    const p = readPackage(dir);
    return p?.name && p.vnflab?.stage ? [{ name: p.name, dir, exportName: p.vnflab.stage }] : [];
  });
}

/** Packet order for listings: the source first, the sink last, elements by name between. */
const ROLE_ORDER = { source: 0, element: 1, sink: 2 } as const;

/** Builds the registry from every stage workspace. */
export function discoverStages(root = workspaceRoot()): StageRegistry {
  const defs = stagePackages(root).map(({ name, dir, exportName }) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by name: discovery is the point
    const def = (require(name) as Record<string, StageDefinition | undefined>)[exportName];
    if (!def || typeof def.create !== 'function')
      throw new Error(
        `${name}: package.json names "${exportName}" as its stage manifest, but the package exports no such manifest`,
      );
    // the folder is the stage's name: images, compose services and chain files use it
    if (def.stage !== basename(dir))
      throw new Error(`${name}: the manifest's stage "${def.stage}" is not its folder's name "${basename(dir)}"`);
    return def;
  });
  defs.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  const reg = new StageRegistry();
  for (const d of defs) reg.register(d);
  return reg;
}
