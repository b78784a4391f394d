// Where a cost profile's constant comes from, in a checked form: a paper with its section, a
// measurement with its method and machine, a formula over other constants, or an estimate that
// says what it rests on and how it would be confirmed. A constant with no source, or a source
// without its section or method, is refused with the profile and the constant named.

/** A figure read in a publication: `cite` names it (authors, title, venue), `section` where in it. */
export interface PaperSource {
  kind: 'paper';
  cite: string;
  section: string;
  note?: string;
}

/** A figure measured: what and how (`method`), on what (`machine`), with which program (`tool`). */
export interface MeasuredSource {
  kind: 'measured';
  method: string;
  machine: string;
  tool: string;
  date?: string;
  note?: string;
}

/**
 * A figure computed from other constants: `formula` is + - * over numbers and references
 * (`cost` in this profile, `profile.cost` in another), and must give the constant's ns.
 */
export interface DerivedSource {
  kind: 'derived';
  formula: string;
  note?: string;
}

/**
 * A figure not checked against a primary source (docs/published-figures.md marks these
 * unconfirmed): `basis` says what it rests on, `check` the measurement that would confirm it.
 */
export interface EstimateSource {
  kind: 'estimate';
  basis: string;
  check: string;
  note?: string;
}

/** A cost switched off (only with ns 0): the `zero` profile. */
export interface OffSource {
  kind: 'off';
  note: string;
}

export type CostSource = PaperSource | MeasuredSource | DerivedSource | EstimateSource | OffSource;

const REQUIRED: Record<CostSource['kind'], readonly string[]> = {
  paper: ['cite', 'section'],
  measured: ['method', 'machine', 'tool'],
  derived: ['formula'],
  estimate: ['basis', 'check'],
  off: ['note'],
};
const OPTIONAL = ['note', 'date'];

/** Checks a constant's source; `where` names the profile and the constant, e.g. `profile x: costs.syscall`. */
export function validateCostSource(s: unknown, ns: number, where: string, costNames: readonly string[]): CostSource {
  if (!s || typeof s !== 'object' || Array.isArray(s)) {
    throw new Error(`${where}.source must be an object with a "kind" (${Object.keys(REQUIRED).join(', ')})`);
  }
  const o = s as Record<string, unknown>;
  const kind = o.kind as CostSource['kind'];
  const required = REQUIRED[kind];
  if (typeof kind !== 'string' || !required)
    throw new Error(`${where}.source.kind must be one of ${Object.keys(REQUIRED).join(', ')}`);
  for (const k of required) {
    if (typeof o[k] !== 'string' || (o[k] as string).trim() === '')
      throw new Error(`${where}.source.${k} is missing (a ${kind} source needs ${required.join(', ')})`);
  }
  for (const k of Object.keys(o)) {
    if (k !== 'kind' && !required.includes(k) && !OPTIONAL.includes(k))
      throw new Error(
        `${where}.source: unknown key "${k}" (a ${kind} source has ${[...required, ...OPTIONAL].join(', ')})`,
      );
    if (OPTIONAL.includes(k) && typeof o[k] !== 'string') throw new Error(`${where}.source.${k} must be a string`);
  }
  if (kind === 'off' && ns !== 0) throw new Error(`${where}: an "off" source needs ns 0 (got ${ns})`);
  if (kind === 'derived') {
    for (const ref of parseFormula(o.formula as string, `${where}.source.formula`).refs) {
      if (!costNames.includes(ref.cost))
        throw new Error(`${where}.source.formula: unknown cost "${ref.cost}" (known: ${costNames.join(', ')})`);
    }
  }
  return o as unknown as CostSource;
}

/** A reference in a formula: `profile` is null for this profile's own constant. */
export interface FormulaRef {
  profile: string | null;
  cost: string;
}

type Token = { num: number } | { ref: FormulaRef } | { op: '+' | '-' | '*' };

/** A parsed formula: its references and an evaluator given their values. */
export interface Formula {
  refs: FormulaRef[];
  evaluate(value: (ref: FormulaRef) => number): number;
}

/** Parses `a + b - 2 * c` (numbers, references, + - *; no parentheses). */
export function parseFormula(text: string, where: string): Formula {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([a-z0-9][a-z0-9.-]*\.)?([a-z_]+)|([+\-*]))/y;
  let at = 0;
  while (at < text.length && text.slice(at).trim() !== '') {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`${where}: cannot read "${text.slice(at).trim()}" (numbers, costs, profile.cost, + - *)`);
    if (m[1] !== undefined) tokens.push({ num: Number(m[1]) });
    else if (m[3] !== undefined) tokens.push({ ref: { profile: m[2] ? m[2].slice(0, -1) : null, cost: m[3] } });
    else tokens.push({ op: m[4] as '+' | '-' | '*' });
    at = re.lastIndex;
  }
  // operands at even positions, operators at odd ones
  if (tokens.length % 2 === 0) throw new Error(`${where}: "${text}" is not operand (op operand)*`);
  tokens.forEach((t, i) => {
    if ((i % 2 === 1) !== 'op' in t) throw new Error(`${where}: "${text}" is not operand (op operand)*`);
  });
  const refs = tokens.flatMap((t) => ('ref' in t ? [t.ref] : []));
  return {
    refs,
    evaluate(value) {
      const operand = (t: Token): number => ('num' in t ? t.num : value((t as { ref: FormulaRef }).ref));
      let sum = 0;
      let sign = 1;
      let term = operand(tokens[0]);
      for (let i = 1; i < tokens.length; i += 2) {
        const op = (tokens[i] as { op: string }).op;
        const next = operand(tokens[i + 1]);
        if (op === '*') term *= next;
        else {
          sum += sign * term;
          sign = op === '+' ? 1 : -1;
          term = next;
        }
      }
      return sum + sign * term;
    },
  };
}

/** One line for a listing: the kind and its citation, method, formula or basis. */
export function describeSource(s: CostSource): string {
  switch (s.kind) {
    case 'paper':
      return `paper: ${s.cite}, ${s.section}`;
    case 'measured':
      return `measured: ${s.method} (${s.machine}${s.date ? `, ${s.date}` : ''})`;
    case 'derived':
      return `derived: ${s.formula}`;
    case 'estimate':
      return `estimate (unconfirmed): ${s.basis}; check: ${s.check}`;
    case 'off':
      return `off: ${s.note}`;
  }
}
