// web-server settings: the schema the chain file is checked against, the defaults, and
// resolution with errors that name the key.

import { Type, type Static } from '@sinclair/typebox';
import { schemaErrors } from '@vnflab/core';

export const VARIANTS = ['lighttpd'] as const;
export type Variant = (typeof VARIANTS)[number];

export const MAX_FILE_SIZE = 1 << 20;
export const MAX_DOCROOT_FILES = 1024;

/** A document root path: what a request's origin-form target can name. */
const DOC_PATH = /^\/(?:(?![?#])[!-~])*$/;

export class WebServerConfigError extends Error {}

export const WebServerSettingsSchema = Type.Object(
  {
    file_size: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_FILE_SIZE,
        description: 'bytes of /index.html in the default document root (default 64, as mTCP Figure 1)',
      }),
    ),
    docroot: Type.Optional(
      Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: MAX_FILE_SIZE }), {
        maxProperties: MAX_DOCROOT_FILES,
        description: 'the files served, path -> size in bytes (default {"/index.html": file_size})',
      }),
    ),
    max_request_bytes: Type.Optional(
      Type.Integer({
        minimum: 256,
        maximum: 65536,
        description: 'request line and headers at most; longer is 414 or 431 (default 8192)',
      }),
    ),
    max_keep_alive_requests: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: 'requests served on one keep-alive connection before it is closed (default 100)',
      }),
    ),
    max_connections: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65536,
        description: 'connections open at once; one beyond is closed at accept (default 1024)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type WebServerSettings = Static<typeof WebServerSettingsSchema>;

export const WEB_DEFAULTS = {
  file_size: 64,
  max_request_bytes: 8192,
  max_keep_alive_requests: 100,
  max_connections: 1024,
};

export interface ResolvedSettings {
  /** path -> size */
  docroot: [string, number][];
  maxRequestBytes: number;
  maxKeepAliveRequests: number;
  maxConnections: number;
}

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
}

/** Validates a variant and its settings, and fills in the defaults. */
export function resolveSettings(variant: string, raw: unknown): ResolvedSettings {
  if (!isVariant(variant))
    throw new WebServerConfigError(`variant: "${variant}" is not a web-server variant (known: ${VARIANTS.join(', ')})`);
  const errs = schemaErrors(WebServerSettingsSchema, raw ?? {});
  if (errs.length) throw new WebServerConfigError(`web-server settings: ${errs.join('; ')}`);
  const s = (raw ?? {}) as WebServerSettings;
  if (s.docroot !== undefined && s.file_size !== undefined)
    throw new WebServerConfigError(
      'web-server settings: file_size: sizes the default document root only; give each size in docroot',
    );
  for (const path of Object.keys(s.docroot ?? {}))
    if (!DOC_PATH.test(path))
      throw new WebServerConfigError(
        `web-server settings: docroot: ${JSON.stringify(path)} must be a path: "/" then visible ASCII characters other than ? and #`,
      );
  const docroot: [string, number][] = s.docroot
    ? Object.entries(s.docroot)
    : [['/index.html', s.file_size ?? WEB_DEFAULTS.file_size]];
  return {
    docroot,
    maxRequestBytes: s.max_request_bytes ?? WEB_DEFAULTS.max_request_bytes,
    maxKeepAliveRequests: s.max_keep_alive_requests ?? WEB_DEFAULTS.max_keep_alive_requests,
    maxConnections: s.max_connections ?? WEB_DEFAULTS.max_connections,
  };
}
