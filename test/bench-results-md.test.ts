// `npm run bench` rewrites the tables in bench/RESULTS.md; the analysis people write under a table,
// and the sections they write by hand, must survive a re-run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// a plain CommonJS script, as bench/run.js uses it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mergeResults, splitSections } = require('../bench/results-md.js') as {
  mergeResults(
    md: string,
    generated: { title: string; text: string }[],
    o?: { stamp?: string; preamble?: string },
  ): string;
  splitSections(md: string): { preamble: string; sections: { title: string; body: string }[] };
};

const table = (title: string, value: string): { title: string; text: string } => ({
  title,
  text: `## ${title}\n\n| measurement | value | note |\n|---|---|---|\n| x | ${value} | n |\n`,
});

const MD = `# Benchmark results

Measured on an old day.

## Suite A

| measurement | value | note |
|---|---|---|
| x | 1 | n |
(this section measured on 2026-01-01 by \`npm run bench -- --only a\`)

Why x is 1: a paragraph.

| a table in the notes | kept |
|---|---|
| y | 2 |

More prose.

## Written by hand

Analysis nobody generates.
`;

describe('bench/RESULTS.md keeps what people wrote', () => {
  test('one suite re-run: its table and stamp are new, its notes and other sections stay', () => {
    const out = mergeResults(MD, [table('Suite A', '7')], { stamp: '(this section measured on 2026-11-29 by x)' });
    expect(out).toContain('| x | 7 | n |');
    expect(out).not.toContain('| x | 1 | n |');
    expect(out).toContain('(this section measured on 2026-11-29 by x)');
    expect(out).not.toContain('2026-01-01');
    expect(out).toContain('Why x is 1: a paragraph.');
    expect(out).toContain('| a table in the notes | kept |');
    expect(out).toContain('More prose.');
    expect(out).toContain('## Written by hand\n\nAnalysis nobody generates.');
    expect(out.startsWith('# Benchmark results\n\nMeasured on an old day.')).toBe(true);
  });

  test('a full run: new preamble, a new suite added at the end, hand-written sections kept', () => {
    const out = mergeResults(MD, [table('Suite A', '8'), table('Suite B', '9')], {
      preamble: '# Benchmark results\n\nToday.',
    });
    const { preamble, sections } = splitSections(out);
    expect(preamble.trim()).toBe('# Benchmark results\n\nToday.');
    expect(sections.map((s) => s.title)).toEqual(['Suite A', 'Written by hand', 'Suite B']);
    expect(sections[0].body).toContain('More prose.');
    expect(sections[2].body).toContain('| x | 9 | n |');
  });

  test('the repository file round-trips: merging its own sections back changes nothing but tables', () => {
    const md = readFileSync(join(__dirname, '..', 'bench', 'RESULTS.md'), 'utf8');
    const { sections } = splitSections(md);
    expect(sections.length).toBeGreaterThan(5);
    const again = splitSections(mergeResults(md, []));
    expect(again.sections.map((s) => s.title)).toEqual(sections.map((s) => s.title));
    expect(again.sections.map((s) => s.body.trim())).toEqual(sections.map((s) => s.body.trim()));
  });
});
