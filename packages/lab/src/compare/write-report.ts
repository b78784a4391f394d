// Writes a comparison into a directory: report.json, report.md and report.html.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompareReport } from './model';
import { renderHtml } from './report-html';
import { renderMarkdown } from './report-md';

export function writeReport(dir: string, r: CompareReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'report.json'), join(dir, 'report.md'), join(dir, 'report.html')];
  writeFileSync(files[0], JSON.stringify(r, null, 2) + '\n');
  writeFileSync(files[1], renderMarkdown(r) + '\n');
  writeFileSync(files[2], renderHtml(r));
  return files;
}
