// Headless Chromium for the tests that look at a page as a person would: Debian's chromium driven
// by playwright-core, with the flags this closed network needs, and a list of everything the page
// complained about or tried to load from outside the file.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export interface OpenedPage {
  page: Page;
  /** Console errors and warnings, page errors, and any request that is not to a file: URL. */
  problems: string[];
  context: BrowserContext;
}

/** Opens `file` in a fresh headless Chromium profile; close `context` when done. */
export async function openInChromium(file: string): Promise<OpenedPage> {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vnflab-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`request to ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  return { page, problems, context };
}
