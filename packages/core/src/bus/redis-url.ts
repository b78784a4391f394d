// Where a bus URL points: Redis over TCP (`redis://[user:password@]host:port[/db]`, `rediss://`),
// a Redis Cluster through any one of its nodes (`redis+cluster://host:port`, see redis-bus.ts),
// or Redis over a Unix socket on this host (`unix:///path/to/redis.sock[?db=N]`). A stage pays a
// socket write and a read per Redis command; over loopback TCP the write also runs the whole
// TCP receive path for Redis in the sender's system call, over a Unix socket it only copies
// into the peer's queue (bench/RESULTS.md, "The bus transport", has this machine's figures).

/** What ioredis takes: the URL itself for TCP, or the socket path (with its query) for unix:. */
export function ioredisTarget(url: string): string {
  if (!url.startsWith('unix:')) return url;
  const u = new URL(url);
  // ioredis reads a string starting with "/" as a socket path and its query as options (db)
  return decodeURIComponent(u.pathname) + u.search;
}

/** Why `url` is not a bus URL, or null when it is one. */
export function busUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL (want redis://HOST:PORT, redis+cluster://HOST:PORT or unix:///PATH)`;
  }
  if (u.protocol === 'unix:') {
    if (u.host) return `"${url}" names a host; a Unix socket URL is unix:///PATH (three slashes)`;
    if (u.pathname.length <= 1) return `"${url}" has no socket path`;
    if (u.username || u.password) return `"${url}" carries credentials; a Unix socket is guarded by its file mode`;
    return null;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:' && u.protocol !== 'redis+cluster:')
    return `"${url}" is not a redis:// URL (nor redis+cluster:// for a Redis Cluster, nor unix:///PATH for a socket)`;
  if (!u.hostname) return `"${url}" has no host`;
  // a Redis Cluster has database 0 only
  if (u.protocol === 'redis+cluster:' && u.pathname.replace(/^\/0?$/, '') !== '')
    return `"${url}" names a database; a Redis Cluster has only database 0`;
  return null;
}

/**
 * The URL with the password from `VNFLAB_BUS_PASSWORD` put in, when it is set and the URL has
 * none: a password typed in `--bus` is on the command line for every user of the machine to read
 * (ps), one in the environment is not. A Unix socket URL takes it as its `password` option.
 */
export function withBusPassword(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const password = env.VNFLAB_BUS_PASSWORD;
  if (!password || busUrlProblem(url)) return url;
  const u = new URL(url);
  if (u.protocol === 'unix:') {
    if (u.searchParams.has('password')) return url;
    u.searchParams.set('password', password);
    return u.toString();
  }
  if (u.password) return url;
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The URL with any password masked, for logs and summaries. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@').replace(/([?&]password=)[^&]*/, '$1***');
}
