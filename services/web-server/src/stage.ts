// The web-server stage manifest (chain files, CLI, services). This folder is all the lab needs to
// know the stage: discovery finds it by its package.json.

import type { StageDefinition } from '@vnflab/core';
import { EVENTS } from './events';
import { VARIANTS, WEB_DEFAULTS, WebServerSettingsSchema } from './settings';
import { WEB_METRICS, WEB_REASONS, WebServer } from './web-server';

export const webServerStage: StageDefinition = {
  stage: 'web-server',
  role: 'element',
  variants: VARIANTS,
  settings: WebServerSettingsSchema,
  description:
    'lighttpd-like web server over socket records: bounded request parsing, HTTP/1.0 and keep-alive, an in-memory document root, cached Date and prebuilt headers',
  defaultCategory: 'app',
  events: EVENTS,
  reasons: WEB_REASONS,
  metrics: WEB_METRICS,
  create: (variant, settings) => new WebServer(variant, settings),
  // a request's unfinished tail is kept per connection, at most max_request_bytes each
  memoryBytes: (_variant, settings) => {
    const conns = (settings.max_connections as number | undefined) ?? WEB_DEFAULTS.max_connections;
    const req = (settings.max_request_bytes as number | undefined) ?? WEB_DEFAULTS.max_request_bytes;
    return [
      {
        key: 'max_connections',
        bytes: conns * req,
        what: `request buffers for ${conns} connections of ${req} bytes`,
      },
    ];
  },
};
