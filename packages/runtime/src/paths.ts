import { join } from 'node:path';

/** The repository (or installed package) root, where chains/ lives. */
export const ROOT = join(__dirname, '..', '..', '..');
export const DEFAULT_CHAIN = join(ROOT, 'chains', 'default.yaml');
