// The bus on Redis Streams (ioredis): one stream per hop, read by the downstream stage's consumer
// group. This file owns the connections (reconnect with backoff, readiness; one Redis, or a Redis
// Cluster for a redis+cluster:// URL), the keys of a chain run, the Redis "epoch" (which Redis
// lifetime a batch was read in) and the commit every producer and consumer goes through;
// redis-producer.ts and redis-consumer.ts are the two ends of a hop.
//
// Keys, all under the run's prefix (e.g. vnflab:default:main). A hop's keys share the hash tag
// {<prefix>:hop:<stage>}, so a Redis Cluster keeps each hop whole in one slot (and spreads the
// hops over its masters), and one script may touch all of them:
//   {<prefix>:hop:<stage>}        the stream into <stage>; its consumer group is named <stage>
//   {<prefix>:hop:<stage>}:bytes  the batch bytes that stream holds (see heldBytes in redis-scripts.ts)
//   {<prefix>:hop:<stage>}:room   a token after each acknowledgement (wakes a producer waiting for room)
//   {<prefix>:hop:<stage>}:epoch  a random value set once per lifetime of the Redis holding the hop:
//                                 when it restarts without persistence the value changes, which tells
//                                 a stage that a batch in its hand was lost and must be forwarded anyway
//   {<prefix>:hop:<stage>}:ledger:<inst>  the committed accounting (see stats-ledger.ts) of an
//                                 instance reading this hop (the generator's: of the hop it feeds)
//   {<prefix>:hop:<stage>}:sent   each sender's last add when its commit is split (FORWARD_LUA)
//   <prefix>:end                  set by the generator when it has sent its last batch
//   <prefix>:end:<hop>            a loop chain's way back: set by the one producer of <hop> when it
//                                 has sent its last batch (see endKey)

import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, ClusterOptions, Redis as RedisClient, RedisOptions } from 'ioredis';
import { Cat } from '../cpu/categories';
import type { CpuMeter } from '../cpu/cpu-meter';
import { silentLogger, type Logger } from '../logger';
import type { LedgerHash } from '../stats/stats-ledger';
import type { Bus, OverflowPolicy } from './bus';
import { formatBytes } from '../chain/byte-size';
import { ConfigError } from '../chain/config';
import {
  ACK_LUA,
  COMMIT_LUA,
  CommitStatus,
  CREATE_GROUP_LUA,
  DECLARE_END_LUA,
  ENDED_LUA,
  EPOCH_LUA,
  FORWARD_LUA,
  HEARTBEAT_LUA,
  HOP_DRAINED_LUA,
} from './redis-scripts';
import { keySlot } from './key-slot';
import { RedisConsumer, type RedisConsumerOptions } from './redis-consumer';
import { RedisProducer, type RedisProducerOptions } from './redis-producer';
import { ioredisTarget, redactUrl } from './redis-url';

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db], or redis+cluster://[user:password@]host:port for a Redis Cluster (any one node). */
  url: string;
  /** Key namespace of one chain run, e.g. `vnflab:default:main`. */
  prefix: string;
  /** Entries a hop's stream may hold (acknowledged ones not yet trimmed included). */
  bound?: number;
  /**
   * Batch bytes a hop's stream may hold, counted the same way. Unset, bytes are not tracked: the
   * default (hopBoundBytes: bound full batches) follows from the entry bound.
   */
  boundBytes?: number;
  policy?: OverflowPolicy;
  /** A batch pending this long in a consumer that stopped refreshing it is taken over (XAUTOCLAIM). */
  claimIdleMs?: number;
  /** Longest single XREADGROUP BLOCK, so a stop or the end is noticed promptly. */
  blockMs?: number;
  /** Batches read per XREADGROUP. */
  prefetch?: number;
  log?: Logger;
  /**
   * The stage's CPU meter: decoding every reply (ioredis's RESP parser, on the socket's data
   * events) is billed to its bus category, as the producer and consumer bill their own work.
   */
  cpu?: CpuMeter;
}

export interface CommitResult {
  /** For the batches after the prefix `done`: see CommitStatus. */
  status: CommitStatus;
  /** Batches of the group done (a prefix; committed before by a resent command included). */
  done: number;
  /** Entries on the output stream after the commit (acknowledged ones trimmed when it was full). */
  outputLength: number;
}

/** One batch of a commit group (see COMMIT_LUA). */
export interface CommitItem {
  /** The input entry it came from, or with no input (the generator) its batch id. */
  id: string;
  /** Its wire form going downstream; null for an acknowledgement only. */
  bytes: Buffer | null;
  /** The ledger value once it is done ('' without a ledger). */
  value: string;
}

export interface CommitRequest {
  /** The input the items' ids are entries of (all read in the same epoch), or null. */
  input: { stream: string; group: string; consumer: string; epoch: string } | null;
  /** Where the items' bytes go; null when no item has bytes. */
  output: { stream: string; group: string } | null;
  ledgerKey: string;
  items: CommitItem[];
  cpu?: CpuMeter;
}

interface ScriptedRedis extends RedisClient {
  vnflabCommit(...args: (string | Buffer | number)[]): Promise<[number, number, number]>;
  vnflabAck(...args: (string | Buffer | number)[]): Promise<[number, number, number]>;
  vnflabForward(...args: (string | Buffer | number)[]): Promise<[number, number, number]>;
  vnflabHopDrained(stream: string, group: string): Promise<number>;
  vnflabDeclareEnd(key: string): Promise<number>;
  vnflabCreateGroup(stream: string, group: string): Promise<number>;
  vnflabEpoch(key: string, mine: string): Promise<string>;
  vnflabHeartbeat(...args: (string | number)[]): Promise<number>;
  vnflabEnded(...args: (string | number)[]): Promise<number>;
}

/** Reconnect backoff: 50 ms doubling to 2 s, forever (a stage outlives a Redis restart). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt - 1, 6), 2000);
}

/** Redis's timer tick at its default hz (10 a second). */
export const DEFAULT_BLOCK_TICK_MS = 100;

/**
 * The timer tick, in ms, of the Redis whose `INFO server` is `info`: a blocked client's timeout
 * is checked when the event loop wakes, which an idle server does hz times a second.
 */
export function serverTickMs(info: string): number {
  const hz = Number(/^hz:(\d+)/m.exec(info)?.[1]);
  return hz > 0 ? Math.ceil(1000 / hz) : DEFAULT_BLOCK_TICK_MS;
}

/** The scheme that names a Redis Cluster: redis+cluster://host:port (any one of its nodes). */
export const CLUSTER_SCHEME = 'redis+cluster:';

export function isClusterUrl(url: string): boolean {
  return url.startsWith(`${CLUSTER_SCHEME}//`);
}

/** The node a redis+cluster:// URL names, as a plain redis:// URL (for INFO and probes). */
export function seedUrl(url: string): string {
  return isClusterUrl(url) ? `redis://${url.slice(CLUSTER_SCHEME.length + 2)}` : url;
}

/** The stream of hop `hop` in the run `prefix`: every key of the hop carries this as its hash tag. */
export function hopStreamKey(prefix: string, hop: string): string {
  return `{${prefix}:hop:${hop}}`;
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly bound: number;
  /** 0: not tracked (see RedisBusOptions.boundBytes). */
  readonly boundBytes: number;
  readonly policy: OverflowPolicy;
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly prefetch: number;
  /**
   * Redis ends a blocking read's timeout only on its timer tick, 1000/hz ms (INFO server; 100 ms
   * at the default hz 10): a consumer waits shorter than this on a timer of its own.
   */
  blockTickMs = DEFAULT_BLOCK_TICK_MS;
  readonly log: Logger;
  /** On a Redis Cluster (redis+cluster:// URL): hops may be in different slots. */
  readonly cluster: boolean;
  /** Commands and scripts; blocking reads get their own connections. */
  readonly cmd: ScriptedRedis;
  private readonly conns: RedisClient[] = [];
  /** The epoch of each hop this bus reads, by stream, as last read (see readEpoch). */
  private readonly hopEpochs = new Map<string, string>();
  /** A random token of this bus, so a resent split commit recognises its own add (FORWARD_LUA). */
  readonly token = randomBytes(6).toString('hex');
  private ready = false;
  reconnects = 0;
  private epochKnown!: Promise<void>;
  private markEpochKnown!: () => void;
  private readonly readyHooks: (() => Promise<void>)[] = [];
  private lastErrorLog = 0;
  private closed = false;

  constructor(readonly opts: RedisBusOptions) {
    this.bound = opts.bound ?? 16;
    this.boundBytes = opts.boundBytes ?? 0;
    this.policy = opts.policy ?? 'block';
    this.claimIdleMs = opts.claimIdleMs ?? 5000;
    this.blockMs = opts.blockMs ?? 100;
    this.prefetch = opts.prefetch ?? 4;
    this.log = opts.log ?? silentLogger;
    this.cluster = isClusterUrl(opts.url);
    this.epochKnown = new Promise((r) => (this.markEpochKnown = r));
    this.cmd = this.connect('cmd') as ScriptedRedis;
    // the commit takes only the keys it uses, so it says how many (see COMMIT_LUA)
    this.cmd.defineCommand('vnflabCommit', { lua: COMMIT_LUA });
    this.cmd.defineCommand('vnflabAck', { lua: ACK_LUA });
    this.cmd.defineCommand('vnflabForward', { lua: FORWARD_LUA });
    this.cmd.defineCommand('vnflabHopDrained', { numberOfKeys: 1, lua: HOP_DRAINED_LUA });
    this.cmd.defineCommand('vnflabDeclareEnd', { numberOfKeys: 1, lua: DECLARE_END_LUA });
    this.cmd.defineCommand('vnflabCreateGroup', { numberOfKeys: 1, lua: CREATE_GROUP_LUA });
    this.cmd.defineCommand('vnflabEpoch', { numberOfKeys: 1, lua: EPOCH_LUA });
    this.cmd.defineCommand('vnflabHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT_LUA });
    this.cmd.defineCommand('vnflabEnded', { lua: ENDED_LUA });
    this.cmd.on('ready', () => void this.onReady());
  }

  private connect(role: string): RedisClient {
    // loaded on first use, so the embedded chain (no Redis) does not pay for loading ioredis
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = (require('ioredis') as typeof import('ioredis')).default;
    const options: RedisOptions = {
      connectionName: `vnflab-${role}`,
      // commands wait through a reconnect instead of failing: a stage rides out a Redis restart
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => (this.closed ? null : reconnectDelayMs(attempt)),
      connectTimeout: 2000,
      enableReadyCheck: true,
    };
    const c = this.cluster
      ? this.connectCluster(IORedis.Cluster, options)
      : new IORedis(ioredisTarget(this.opts.url), options);
    c.on('reconnecting', () => this.reconnects++);
    if (this.cluster)
      (c as unknown as Cluster).on('+node', (n: RedisClient) => n.on('connect', () => this.meterReplies(n)));
    else c.on('connect', () => this.meterReplies(c));
    c.on('error', (e: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog > 5000) {
        this.lastErrorLog = now;
        this.log.warn({ err: e.message, url: redactUrl(this.opts.url) }, 'redis connection problem; reconnecting');
      }
    });
    this.conns.push(c);
    return c;
  }

  /**
   * A client of the Redis Cluster the URL names (one node of it: the client learns the rest and
   * sends each command to the master of its key's slot, following MOVED when the slots move).
   * Typed as a plain client: the bus uses only commands both kinds have.
   */
  private connectCluster(ClusterClass: typeof Cluster, options: RedisOptions): RedisClient {
    const u = new URL(this.opts.url);
    const clusterOptions: ClusterOptions = {
      redisOptions: {
        connectionName: options.connectionName,
        connectTimeout: options.connectTimeout,
        maxRetriesPerRequest: null,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
      },
      clusterRetryStrategy: (attempt) => (this.closed ? null : reconnectDelayMs(attempt)),
      enableReadyCheck: true,
    };
    return new ClusterClass(
      [{ host: u.hostname, port: Number(u.port || 6379) }],
      clusterOptions,
    ) as unknown as RedisClient;
  }

  /**
   * Times each 'data' event of the connection's socket, around ioredis's reply parser (which
   * prepends its listener when it connects, before this runs): promise callbacks run after the
   * event, so only the decoding is inside the window.
   */
  private meterReplies(c: RedisClient): void {
    const cpu = this.opts.cpu;
    const socket = (c as unknown as { stream?: NodeJS.EventEmitter }).stream;
    if (!cpu || !socket) return;
    let t0 = 0;
    socket.prependListener('data', () => {
      t0 = cpu.begin();
    });
    socket.on('data', () => cpu.end(Cat.bus, t0));
  }

  /** A dedicated connection for a consumer's blocking reads. */
  blockingConnection(name: string): RedisClient {
    return this.connect(`read-${name}`);
  }

  private async onReady(): Promise<void> {
    try {
      for (const stream of this.hopEpochs.keys()) await this.readEpoch(stream);
      // before the first read waits: a Redis that hides INFO keeps the default tick
      this.blockTickMs = await this.cmd.info('server').then(serverTickMs, () => DEFAULT_BLOCK_TICK_MS);
      this.ready = true;
      this.markEpochKnown();
      for (const h of this.readyHooks) await h();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'redis ready handler failed; retrying on the next connection');
    }
  }

  /**
   * Reads (setting it if missing) the epoch of the Redis that holds hop `stream`. Read after every
   * reconnection, and after a commit found input entries gone (on a cluster one master may restart
   * while the client stays connected to the others).
   */
  private async readEpoch(stream: string): Promise<string> {
    const e = await this.cmd.vnflabEpoch(this.epochKey(stream), randomBytes(8).toString('hex'));
    const was = this.hopEpochs.get(stream);
    if (was && e !== was)
      this.log.warn(
        { epoch: e, was, stream },
        'redis lost its data (new epoch): batches that were on the bus are counted as bus_lost',
      );
    this.hopEpochs.set(stream, e);
    return e;
  }

  /** The epoch of hop `stream` a batch read now is read under; read once on first use. */
  async hopEpoch(stream: string): Promise<string> {
    return this.hopEpochs.get(stream) || this.readEpoch(stream);
  }

  /** The epoch of hop `stream` as last read ('' before hopEpoch()). */
  epochOf(stream: string): string {
    return this.hopEpochs.get(stream) ?? '';
  }

  /** The epochs of the hops this bus reads (for the stats). */
  get epoch(): string {
    return [...this.hopEpochs.values()].join(',');
  }

  /** Runs `f` after every (re)connection, e.g. to restore state Redis lost. */
  onReconnect(f: () => Promise<void>): void {
    this.readyHooks.push(f);
  }

  /** Resolves once the bus knows which Redis lifetime it talks to. */
  whenReady(): Promise<void> {
    return this.epochKnown;
  }

  /** close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Connected on every connection (readiness). */
  get connected(): boolean {
    return this.ready && this.conns.every((c) => c.status === 'ready');
  }

  key(...parts: string[]): string {
    return [this.opts.prefix, ...parts].join(':');
  }

  streamKey(hop: string): string {
    return hopStreamKey(this.opts.prefix, hop);
  }

  /** The epoch key of the Redis (or cluster slot) holding `stream` (see the file comment). */
  epochKey(stream: string): string {
    return `${stream}:epoch`;
  }

  /** Where each sender notes its last split add onto `stream` (see FORWARD_LUA). */
  sentKey(stream: string): string {
    return `${stream}:sent`;
  }

  /** A list that holds one token after each acknowledgement on `stream` (wakes a waiting producer). */
  roomKey(stream: string): string {
    return `${stream}:room`;
  }

  /** The hash that counts the batch bytes `stream` holds (COMMIT_LUA keeps it). */
  bytesKey(stream: string): string {
    return `${stream}:bytes`;
  }

  /**
   * The ledger of `instance`, kept with hop `hop` (in its slot): the hop the instance reads, or
   * for the generator the hop it feeds, so a commit reaches the ledger with its input.
   */
  ledgerKey(instance: string, hop: string): string {
    return `${this.streamKey(hop)}:ledger:${instance}`;
  }

  producer(hop: string, opts: RedisProducerOptions = {}): RedisProducer {
    return new RedisProducer(this, hop, opts);
  }

  consumer(hop: string, group: string, name: string, opts: RedisConsumerOptions = {}): RedisConsumer {
    return new RedisConsumer(this, hop, group, name, opts);
  }

  async readLedger(key: string): Promise<LedgerHash> {
    return this.cmd.hgetall(key);
  }

  /**
   * Forwards, acknowledges and counts a group of batches in one atomic step (COMMIT_LUA), billing
   * the client-side work of the round trip to the bus CPU category. A commit that fails on the
   * way is tried again: the script recognises what its first attempt already did.
   */
  async commit(r: CommitRequest): Promise<CommitResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(r);
      } catch (e) {
        if (this.closed) throw e;
        this.log.warn({ err: (e as Error).message, attempt }, 'bus commit failed; trying again');
        await delay(reconnectDelayMs(attempt));
      }
    }
  }

  private async commitOnce(r: CommitRequest): Promise<CommitResult> {
    const t0 = r.cpu?.begin() ?? 0;
    if (this.cluster && r.input && r.output && keySlot(r.input.stream) !== keySlot(r.output.stream)) {
      r.cpu?.end(Cat.bus, t0);
      return this.commitSplit(r, r.input, r.output);
    }
    const keys = [
      r.input?.stream ?? '',
      r.output?.stream ?? '',
      r.ledgerKey,
      r.input ? this.epochKey(r.input.stream) : '',
      r.input ? this.roomKey(r.input.stream) : '',
      r.output && this.boundBytes > 0 ? this.bytesKey(r.output.stream) : '',
    ];
    const given = keys.filter((k) => k !== '');
    const args: (string | Buffer | number)[] = [
      given.length,
      ...given,
      keys.map((k) => (k === '' ? '0' : '1')).join(''),
      r.input?.group ?? '',
      r.input?.consumer ?? '',
      r.input?.epoch ?? '',
      r.output?.group ?? '',
      this.bound,
      this.boundBytes,
      r.items.length,
    ];
    for (const it of r.items) args.push(it.id, it.bytes ?? '', it.value);
    // with nothing to add, the script that Redis runs even out of memory (see ACK_LUA)
    const reply = (r.output ? this.cmd.vnflabCommit : this.cmd.vnflabAck).apply(this.cmd, args);
    r.cpu?.end(Cat.bus, t0);
    const [status, done, outputLength] = await reply;
    if (status === CommitStatus.Orphan && r.input) this.refreshEpoch(r.input.stream);
    return { status: status as CommitStatus, done, outputLength };
  }

  /**
   * A commit whose input and output hops are in different cluster slots, in two scripts (see
   * FORWARD_LUA): the adds on the output's master, then the acknowledgements and the ledger on the
   * input's, for the batches the adds took.
   */
  private async commitSplit(
    r: CommitRequest,
    input: NonNullable<CommitRequest['input']>,
    output: NonNullable<CommitRequest['output']>,
  ): Promise<CommitResult> {
    const t0 = r.cpu?.begin() ?? 0;
    const tracked = this.boundBytes > 0;
    const args: (string | Buffer | number)[] = [tracked ? 3 : 2, output.stream, this.sentKey(output.stream)];
    if (tracked) args.push(this.bytesKey(output.stream));
    args.push(output.group, this.bound, this.boundBytes, input.consumer, this.token, r.items.length);
    for (const it of r.items) args.push(it.id, it.bytes ?? '');
    const fwdReply = this.cmd.vnflabForward(...args);
    r.cpu?.end(Cat.bus, t0);
    const [fwdStatus, added, outputLength] = await fwdReply;
    if (added === 0) return { status: fwdStatus as CommitStatus, done: 0, outputLength };
    const items = r.items.slice(0, added).map((it) => ({ ...it, bytes: null }));
    const ack = await this.commitOnce({ input, output: null, ledgerKey: r.ledgerKey, items, cpu: r.cpu });
    // the acknowledgements' outcome, unless they all went through: then the adds' (full, out of memory)
    const status = ack.done < added ? ack.status : added < r.items.length ? fwdStatus : ack.status;
    return { status: status as CommitStatus, done: ack.done, outputLength };
  }

  /** Reads the epoch of `stream`'s Redis again (in the background: the commit goes on). */
  private refreshEpoch(stream: string): void {
    this.readEpoch(stream).catch((e: Error) => this.log.warn({ err: e.message, stream }, 'cannot read the hop epoch'));
  }

  /**
   * Refuses (ConfigError) a Redis older than 7 (redisVersionRefusal) and a chain whose `hops`
   * hops of `hopBytes` each (hopBoundBytes) would not fit this Redis's maxmemory (hopBytesRefusal).
   */
  async checkMemory(hops: number, hopBytes: number): Promise<void> {
    const info = await this.cmd.info();
    const where = redactUrl(this.opts.url);
    const refusal = redisVersionRefusal(info, where) ?? hopBytesRefusal(info, hops, hopBytes, where);
    if (refusal) throw new ConfigError(refusal);
  }

  /** Creates `stream` and its consumer `group` unless they exist (even when Redis is out of memory). */
  async createGroup(stream: string, group: string): Promise<void> {
    await this.cmd.vnflabCreateGroup(stream, group);
  }

  async heartbeat(stream: string, group: string, consumer: string, ids: string[]): Promise<number> {
    return this.cmd.vnflabHeartbeat(stream, group, consumer, ...ids);
  }

  /**
   * See ENDED_LUA: has the generator ended (or, with `flag`, has that end flag been set) and has
   * everything up to `hops` been committed past them?
   */
  async ended(hops: { stream: string; group: string }[], flag = this.key('end')): Promise<boolean> {
    if (this.cluster && hops.some((h) => keySlot(h.stream) !== keySlot(flag))) {
      // hops in different cluster slots, one at a time: the flag first (the generator sets it after
      // its last add), then the hops from the first. A hop found drained gets nothing more, and
      // everything that left it is on the next hop already (a split commit adds before it
      // acknowledges), so a hop checked later cannot miss a batch that moved on meanwhile
      if ((await this.cmd.exists(flag)) === 0) return false;
      for (const h of hops) if ((await this.cmd.vnflabHopDrained(h.stream, h.group)) !== 1) return false;
      return true;
    }
    const r = await this.cmd.vnflabEnded(
      hops.length + 1,
      flag,
      ...hops.map((h) => h.stream),
      ...hops.map((h) => h.group),
    );
    return r === 1;
  }

  /** The end flag of one hop that has a single producer (a loop chain's way back). */
  endKey(hop: string): string {
    return this.key('end', hop);
  }

  /**
   * Declares that the generator has sent everything, or with `flag` that a hop's one producer
   * has (kept across Redis restarts by the caller).
   */
  async declareEnd(flag = this.key('end')): Promise<void> {
    await this.cmd.vnflabDeclareEnd(flag);
  }

  /**
   * Deletes every key of this run (after a run, so Redis does not keep old streams): the hops'
   * keys ({<prefix>:hop:...}) and the flags (<prefix>:...), on every master of a cluster.
   */
  async deleteRunKeys(): Promise<number> {
    const nodes = this.cluster ? (this.cmd as unknown as Cluster).nodes('master') : [this.cmd];
    let n = 0;
    for (const node of nodes)
      for (const pattern of [`{${this.opts.prefix}:hop:*`, `${this.opts.prefix}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
          cursor = next;
          // one key per DEL on a cluster: a multi-key DEL must stay in one slot
          if (this.cluster) for (const k of keys) n += await node.del(k);
          else if (keys.length) n += await node.del(...keys);
        } while (cursor !== '0');
      }
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.conns.map(async (c) => {
        // a polite QUIT when connected; a hard disconnect when Redis is unreachable
        if (c.status === 'ready')
          await Promise.race([c.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
        c.disconnect();
      }),
    );
  }
}

/**
 * Share of maxmemory the hops may fill at their byte bounds: the rest is for what Redis holds
 * besides batch bytes (entry and stream overhead, the replies and script arguments in flight).
 */
export const HOP_SHARE_OF_MAXMEMORY = 0.75;

/**
 * Why `hops` hops of `boundBytes` each do not fit the Redis whose `INFO memory` is `info`, in one
 * line naming the key; null when they fit or Redis has no maxmemory. Checked against maxmemory,
 * not what is free now, so a stage restarted mid-run with full hops passes as it did at start.
 */
export function hopBytesRefusal(info: string, hops: number, boundBytes: number, where: string): string | null {
  const max = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
  if (!max) return null;
  const need = hops * boundBytes;
  const room = Math.floor(max * HOP_SHARE_OF_MAXMEMORY);
  if (need <= room) return null;
  return `bus.bound_bytes: ${hops} hops x ${formatBytes(boundBytes)} = ${formatBytes(need)} do not fit in Redis at ${where}: its maxmemory of ${formatBytes(max)} leaves ${formatBytes(room)} to the hops (${HOP_SHARE_OF_MAXMEMORY * 100} %); lower bus.bound_bytes or bus.bound, or raise Redis's maxmemory`;
}

/**
 * Why the Redis whose `INFO` is `info` cannot carry the bus, or null: the acknowledgements run as
 * scripts flagged allow-oom (redis-scripts.ts), which Redis understands from version 7.
 */
export function redisVersionRefusal(info: string, where: string): string | null {
  const v = /^redis_version:(\d+)\.(\S+)/m.exec(info);
  if (!v || Number(v[1]) >= 7) return null;
  return `--bus: Redis at ${where} is version ${v[1]}.${v[2]}; the bus needs Redis 7 or later (its scripts carry flags, so acknowledgements go through even when Redis is out of memory)`;
}

/** redisVersionRefusal and hopBytesRefusal for the Redis at `url`, on a connection of its own; throws ConfigError. */
export async function checkRedisMemory(url: string, hops: number, boundBytes: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const IORedis = (require('ioredis') as typeof import('ioredis')).default;
  // on a cluster: the node the URL names (the masters are alike in a cluster made for the chain)
  const c = new IORedis(ioredisTarget(seedUrl(url)), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const info = await c.info();
    const where = redactUrl(url);
    const refusal = redisVersionRefusal(info, where) ?? hopBytesRefusal(info, hops, boundBytes, where);
    if (refusal) throw new ConfigError(refusal);
  } finally {
    c.disconnect();
  }
}

/** Checks that Redis answers at `url` within `timeoutMs`; throws with the reason when it does not. */
export async function probeRedis(url: string, timeoutMs = 3000): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const IORedis = (require('ioredis') as typeof import('ioredis')).default;
  const c = new IORedis(ioredisTarget(seedUrl(url)), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  let cause: NodeJS.ErrnoException | undefined;
  c.on('error', (e: NodeJS.ErrnoException) => (cause ??= e));
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    const err = cause ?? (e as NodeJS.ErrnoException);
    throw new Error(`cannot reach redis at ${redactUrl(url)}: ${err.code ?? err.message}`);
  } finally {
    c.disconnect();
  }
}
