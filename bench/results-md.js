// Writes measured tables into bench/RESULTS.md without losing what people wrote there. A section
// is "## title", a table, a "(this section measured ...)" line, then notes in prose: a re-run
// replaces the table and the measured line and keeps the notes; sections no suite generates
// (analysis written by hand) stay where they are.

const STAMP = /^\(this section measured [^\n]*\)$/;

/** Splits a RESULTS.md into its preamble and its sections, in order: [{ title, body }]. */
function splitSections(md) {
  const parts = md.split(/\n(?=## )/);
  const preamble = parts[0].startsWith('## ') ? '' : parts.shift();
  return {
    preamble,
    sections: parts.map((p) => {
      const nl = p.indexOf('\n');
      return { title: p.slice(3, nl < 0 ? p.length : nl).trim(), body: nl < 0 ? '' : p.slice(nl + 1) };
    }),
  };
}

/** The prose after a section's table and its measured line: what a re-run must keep. */
function notesOf(body) {
  const lines = body.split('\n');
  // the generated table is the first one; tables further down belong to the notes
  let end = lines.findIndex((l) => l.startsWith('|'));
  while (end >= 0 && end + 1 < lines.length && lines[end + 1].startsWith('|')) end++;
  let rest = lines.slice(end + 1);
  while (rest.length && (rest[0].trim() === '' || STAMP.test(rest[0].trim()))) rest = rest.slice(1);
  return rest.join('\n').trim();
}

/**
 * RESULTS.md with the generated sections put in: each is { title, text } where text begins with
 * "## title" and holds the table; `stamp` is the measured line (none if omitted), `preamble` the
 * text before the first section (kept if omitted). A section that exists is replaced in place with
 * its notes kept; a new one is added at the end.
 */
function mergeResults(md, generated, { stamp = '', preamble } = {}) {
  const split = splitSections(md);
  const sections = split.sections;
  preamble ??= split.preamble;
  const out = sections.map((s) => ({ ...s }));
  for (const g of generated) {
    const old = out.find((s) => s.title === g.title);
    const notes = old ? notesOf(old.body) : '';
    const text = `${g.text.trimEnd()}\n${stamp ? `${stamp}\n` : ''}${notes ? `\n${notes}\n` : ''}`;
    const body = text.slice(text.indexOf('\n') + 1);
    if (old) old.body = body;
    else out.push({ title: g.title, body });
  }
  const joined = out.map((s) => `## ${s.title}\n${s.body.trimEnd()}\n`).join('\n');
  return `${preamble.trimEnd()}\n\n${joined}`;
}

module.exports = { mergeResults, notesOf, splitSections };
