// Type-checks dashboard JSON files against the `Dashboard` type of @grafana/schema (TypeScript types
// generated from Grafana's CUE schema) with the TypeScript compiler API. Each file's text becomes the
// initialiser of a constant of that type in one in-memory source rather than an imported JSON module: string
// fields keep their literal types (an import widens them to `string`), unknown keys are caught (excess
// property checks apply only to object literals), and a diagnostic's position maps back to a line, a column
// and a field path in the JSON file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './cli';

/** In-memory only; placed in test/ so `@grafana/schema` resolves from the repository's node_modules. */
const VIRTUAL = join(ROOT, 'test', '__dashboard_schema_check__.ts');
// Fields Grafana itself writes into saved dashboards that the generated types leave out, each allowed
// on its own object only: a query variable's `definition` (the query as the variable editor shows it;
// test/dashboards.test.ts fills the variables from it).
const HEADER = `import type { Dashboard } from '@grafana/schema';
type Variable = NonNullable<NonNullable<Dashboard['templating']>['list']>[number] & { definition?: string };
type Checked = Omit<Dashboard, 'templating'> & { templating?: { list?: Variable[] } };
`;

interface Chunk {
  file: string;
  start: number; // offset of the JSON text in the virtual source
  text: string;
}

/** One line per problem: `file:line:col field.path: message`; empty when every file fits the schema. */
export function dashboardSchemaErrors(files: string[]): string[] {
  let source = HEADER;
  const chunks: Chunk[] = [];
  const unreadable: string[] = [];
  files.forEach((file, i) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      JSON.parse(text); // the TypeScript parser would accept JSON5-like text Grafana rejects
    } catch (e) {
      unreadable.push(`${file}: not a JSON file: ${(e as Error).message}`);
      return;
    }
    source += `export const dashboard${i}: Checked = `;
    chunks.push({ file, start: source.length, text });
    source += `${text};\n`;
  });
  if (unreadable.length) return unreadable;

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const sf = ts.createSourceFile(VIRTUAL, source, ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) => (name === VIRTUAL ? sf : getSourceFile(name, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === VIRTUAL || fileExists(name);
  const program = ts.createProgram([VIRTUAL], options, host);

  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  return diags.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(-1)[0].trim();
    const chunk =
      d.start === undefined ? undefined : chunks.find((c) => d.start! >= c.start && d.start! < c.start + c.text.length);
    if (!chunk || d.start === undefined) return `@grafana/schema check: ${message}`;
    const offset = d.start - chunk.start;
    const before = chunk.text.slice(0, offset).split('\n');
    const where = `${chunk.file}:${before.length}:${before[before.length - 1].length + 1}`;
    return `${where} ${fieldPath(sf, d.start) || '(top level)'}: ${message}`;
  });
}

/** The JSON path (`panels[2].gridPos`) of the property or element at `pos` in the virtual source. */
function fieldPath(sf: ts.SourceFile, pos: number): string {
  let path = '';
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const p = node.properties.find((x) => x.getStart(sf) <= pos && pos < x.end);
      if (p && ts.isPropertyAssignment(p)) {
        const name = ts.isStringLiteral(p.name) || ts.isIdentifier(p.name) ? p.name.text : p.name.getText(sf);
        path += path ? `.${name}` : name;
        visit(p.initializer);
      }
    } else if (ts.isArrayLiteralExpression(node)) {
      const i = node.elements.findIndex((x) => x.getStart(sf) <= pos && pos < x.end);
      if (i >= 0) {
        path += `[${i}]`;
        visit(node.elements[i]);
      }
    }
  };
  const decl = sf.statements
    .filter(ts.isVariableStatement)
    .flatMap((s) => s.declarationList.declarations)
    .find((d) => d.initializer && d.initializer.getStart(sf) <= pos && pos < d.initializer.end);
  if (decl?.initializer) visit(decl.initializer);
  return path;
}
