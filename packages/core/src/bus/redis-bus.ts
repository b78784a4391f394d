// The bus on Redis Streams (ioredis): one stream per hop, read by the downstream stage's consumer
// group. This file owns the connections (reconnect with backoff, readiness), the keys of a chain
// run, the Redis "epoch" (which Redis lifetime a batch was read in) and the one atomic commit
// every producer and consumer goes through; redis-producer.ts and redis-consumer.ts are the two
// ends of a hop.
//
// Keys, all under the run's prefix (e.g. vnflab:default:main):
//   <prefix>:hop:<stage>      the stream into <stage>; its consumer group is named <stage>
//   <prefix>:hop:<stage>:bytes the batch bytes that stream holds (see heldBytes in redis-scripts.ts)
//   <prefix>:ledger:<inst>    an instance's committed accounting (see stats-ledger.ts)
//   <prefix>:end              set by the generator when it has sent its last batch
//   <prefix>:end:<hop>        a loop chain's way back: set by the one producer of <hop> when it
//                             has sent its last batch (see endKey)
//   <prefix>:epoch            a random value set once per Redis lifetime: when Redis restarts
//                             without persistence the value changes, which tells a stage that a
//                             batch in its hand was lost from Redis and must be forwarded anyway

import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
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
  HEARTBEAT_LUA,
} from './redis-scripts';
import { RedisConsumer, type RedisConsumerOptions } from './redis-consumer';
import { RedisProducer, type RedisProducerOptions } from './redis-producer';
import { ioredisTarget } from './redis-url';

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] */
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

/** The URL with any password masked, for logs and summaries. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
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
  /** Commands and scripts; blocking reads get their own connections. */
  readonly cmd: ScriptedRedis;
  private readonly conns: RedisClient[] = [];
  /** The epoch of the Redis this bus last connected to ('' until known). */
  epoch = '';
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
    this.epochKnown = new Promise((r) => (this.markEpochKnown = r));
    this.cmd = this.connect('cmd') as ScriptedRedis;
    this.cmd.defineCommand('vnflabCommit', { numberOfKeys: 6, lua: COMMIT_LUA });
    this.cmd.defineCommand('vnflabAck', { numberOfKeys: 6, lua: ACK_LUA });
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
    const c = new IORedis(ioredisTarget(this.opts.url), options);
    c.on('reconnecting', () => this.reconnects++);
    c.on('connect', () => this.meterReplies(c));
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
      const mine = randomBytes(8).toString('hex');
      const e = await this.cmd.vnflabEpoch(this.key('epoch'), mine);
      if (this.epoch && e !== this.epoch)
        this.log.warn(
          { epoch: e, was: this.epoch },
          'redis lost its data (new epoch): batches that were on the bus are counted as bus_lost',
        );
      this.epoch = e;
      // before the first read waits: a Redis that hides INFO keeps the default tick
      this.blockTickMs = await this.cmd.info('server').then(serverTickMs, () => DEFAULT_BLOCK_TICK_MS);
      this.markEpochKnown();
      for (const h of this.readyHooks) await h();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'redis ready handler failed; retrying on the next connection');
    }
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
    return this.epoch !== '' && this.conns.every((c) => c.status === 'ready');
  }

  key(...parts: string[]): string {
    return [this.opts.prefix, ...parts].join(':');
  }

  streamKey(hop: string): string {
    return this.key('hop', hop);
  }

  /** A list that holds one token after each acknowledgement on `stream` (wakes a waiting producer). */
  roomKey(stream: string): string {
    return `${stream}:room`;
  }

  /** The hash that counts the batch bytes `stream` holds (COMMIT_LUA keeps it). */
  bytesKey(stream: string): string {
    return `${stream}:bytes`;
  }

  ledgerKey(instance: string): string {
    return this.key('ledger', instance);
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
    const args: (string | Buffer | number)[] = [
      r.input?.stream ?? '',
      r.output?.stream ?? '',
      r.ledgerKey,
      this.key('epoch'),
      r.input ? this.roomKey(r.input.stream) : '',
      r.output && this.boundBytes > 0 ? this.bytesKey(r.output.stream) : '',
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
    return { status: status as CommitStatus, done, outputLength };
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

  /** Deletes every key of this run (after a run, so Redis does not keep old streams). */
  async deleteRunKeys(): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.cmd.scan(cursor, 'MATCH', `${this.opts.prefix}:*`, 'COUNT', 200);
      cursor = next;
      if (keys.length) n += await this.cmd.del(...keys);
    } while (cursor !== '0');
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
  const c = new IORedis(ioredisTarget(url), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
  const c = new IORedis(ioredisTarget(url), {
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
