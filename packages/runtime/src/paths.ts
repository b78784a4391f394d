import { join } from 'node:path';

/** The repository (or installed package) root, where chains/ lives. */
export const ROOT = join(__dirname, '..', '..', '..');
export const DEFAULT_CHAIN = join(ROOT, 'chains', 'default.yaml');
/** The web workload's chain: an HTTP client, the server's NIC and kernel, the web server, in a loop. */
export const WEB_CHAIN = join(ROOT, 'chains', 'web.yaml');
