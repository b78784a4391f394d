// The Redis side of the bus, as Lua scripts: each runs atomically in Redis, so a batch is
// forwarded, acknowledged and counted in one step — never forwarded without its acknowledgement
// or acknowledged without being forwarded, whatever process dies when. (On a Redis Cluster a
// commit whose hops are in different slots is two steps, forward first: see FORWARD_LUA.)

/** Outcome of a commit, as COMMIT_LUA reports it (for the batches after the prefix it did). */
export const CommitStatus = {
  /** Redis is out of memory (maxmemory): nothing was done but a trim of acknowledged entries. */
  OutOfMemory: -2,
  /** The output stream is at its bound; nothing was done. */
  Full: -1,
  /** Another consumer owns the input entry now; nothing was done. */
  Refused: 0,
  Committed: 1,
  /** A resent command found its first attempt already committed. */
  AlreadyCommitted: 2,
  /** Redis lost the input entry (restarted empty): the batch was forwarded, nothing to acknowledge. */
  Orphan: 3,
} as const;
export type CommitStatus = (typeof CommitStatus)[keyof typeof CommitStatus];

/** Stream id helpers. */
const ID_HELPERS = `
local function split(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq), ms
end
local function less(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  return am < bm or (am == bm and as < bs)
end
local function after(id)
  local _, seq, ms = split(id)
  return ms .. '-' .. (seq + 1)
end
local function groupsOf(s)
  local out = {}
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', s)) do
    local t = {}
    for i = 1, #g, 2 do t[g[i]] = g[i + 1] end
    out[#out + 1] = t
  end
  return out
end
`;

/** The trim that only removes entries every consumer group has acknowledged. */
const TRIM_ACKED = `
-- Removes only entries below every group's oldest pending entry and below what every group has
-- been delivered: nothing unread and nothing unacknowledged is ever trimmed. When it removed
-- something it moves the hop's byte floor to the first entry left (see heldBytes).
local function trimAcked(s, bytesKey)
  -- (the helpers are defined in here so a commit that does not trim does not create them)
  ${ID_HELPERS}
  local minid = nil
  for _, g in ipairs(groupsOf(s)) do
    local cand
    if g['pending'] > 0 then cand = redis.call('XPENDING', s, g['name'])[2] else cand = after(g['last-delivered-id']) end
    if minid == nil or less(cand, minid) then minid = cand end
  end
  if minid == nil or redis.call('XTRIM', s, 'MINID', minid) == 0 or bytesKey == '' then return end
  local first = redis.call('XRANGE', s, '-', '+', 'COUNT', 1)[1]
  local floor = nil
  if first == nil then
    floor = redis.call('HGET', bytesKey, 'added')
  else
    for i = 1, #first[2], 2 do if first[2][i] == 'c' then floor = first[2][i + 1] end end
  end
  if floor then redis.call('HSET', bytesKey, 'floor', floor) end
end
-- Batch bytes a hop holds: every add counts its bytes into 'added' and writes the count before
-- it into the entry ('c'); a trim sets 'floor' to the first entry's 'c'. Only these scripts add
-- and trim, so added - floor is exact without reading the entries.
-- Untracked ('' key: the byte bound follows from the entry bound) it is 0, and nothing is kept.
local function heldBytes(bytesKey)
  if bytesKey == '' then return 0, 0 end
  local v = redis.call('HMGET', bytesKey, 'added', 'floor')
  return (tonumber(v[1]) or 0) - (tonumber(v[2]) or 0), tonumber(v[1]) or 0
end
`;

/**
 * The adds of a commit: batches first..n onto a hop, up to its bound (see COMMIT_LUA), as one
 * function so a commit split across two Redis Cluster slots (FORWARD_LUA) adds exactly the same
 * way. Returns refusal, done, output length: refusal nil, or 'oom' (nothing was added), or the
 * text of another error; done is the last batch added (or acknowledged only: '' bytes).
 */
const ADD_BATCHES = `${TRIM_ACKED}
local function addBatches(outS, outGroup, bytesKey, bound, boundBytes, first, n, batchOf)
  local oom = function(r) return type(r) == 'table' and r.err and string.find(r.err, 'OOM', 1, true) end
  local outLen = redis.call('XLEN', outS)
  if outLen == 0 and redis.call('EXISTS', outS) == 0 then
    local r = redis.pcall('XGROUP', 'CREATE', outS, outGroup, '0', 'MKSTREAM')
    if oom(r) then return 'oom', first - 1, 0 end
  end
  local held, added = heldBytes(bytesKey)
  local function full(size)
    return outLen >= bound or (bytesKey ~= '' and held > 0 and held + size > boundBytes)
  end
  local done = first - 1
  local wrote = false
  for i = first, n do
    local batch = batchOf(i)
    if batch ~= '' then
      if full(#batch) then
        trimAcked(outS, bytesKey)
        outLen = redis.call('XLEN', outS)
        held, added = heldBytes(bytesKey)
        if full(#batch) then break end
      end
      local r
      if bytesKey == '' then r = redis.pcall('XADD', outS, '*', 'b', batch)
      else r = redis.pcall('XADD', outS, '*', 'c', added, 'b', batch) end
      if oom(r) then
        -- only the first write can be refused, so nothing was done
        trimAcked(outS, bytesKey)
        return 'oom', first - 1, redis.call('XLEN', outS)
      elseif type(r) == 'table' and r.err then
        return r.err, first - 1, outLen
      end
      wrote = true
      added = added + #batch
      held = held + #batch
      outLen = outLen + 1
    end
    done = i
  end
  if wrote then
    if bytesKey ~= '' then redis.call('HSET', bytesKey, 'added', added) end
    if outLen >= bound or (bytesKey ~= '' and held >= boundBytes) then
      trimAcked(outS, bytesKey)
      outLen = redis.call('XLEN', outS)
    end
  end
  return nil, done, outLen
end
`;

/**
 * Commit a group of batches, in order: each forwards one batch (or nothing: an acknowledgement
 * only) and acknowledges the input entry it came from, and the ledger takes the value of the
 * last one done. A stage keeps batches in flight (commit-pipeline.ts) and settles what it
 * processed meanwhile in one call: N XADDs, one XACK, one ledger write.
 *   KEYS: only those present, in this order (ARGV[1] says which; a Redis Cluster checks that
 *         every key a script is given is in one slot, so an absent key cannot be a placeholder):
 *         input stream (none for the generator), output stream (none when nothing goes out),
 *         ledger hash, the input hop's epoch key (see redis-bus.ts), the input's "room" list (an
 *         acknowledgement leaves one token there to wake a producer waiting for room), the
 *         output's byte count hash (none when nothing goes out, or bytes are not tracked: with
 *         the default bound_bytes the entry bound implies the byte bound, and tracking would cost
 *         every commit a hash read and write and every trim a read of the first entry)
 *   ARGV: a mask of six '0'/'1', one per key above ('1': given), input group, consumer, epoch
 *         the inputs were read under, output group, bound, bound in bytes, N, then per batch:
 *         its id (the input entry id; the batch id for the generator), its bytes ('' for an
 *         acknowledgement only), the ledger value once it is done
 * Returns {status, batches done, output length}. The batches done are a prefix of the group,
 * counting those a resent command finds already committed (the ledger's last_id names the last
 * one done). Status: 1 committed, 2 already committed, 3 committed as an orphan (Redis lost
 * input entries: forwarded, nothing to acknowledge for them), 0 refused (another consumer owns
 * the input entry of the batch after the prefix now: the prefix is committed, nothing more), -1 the output is full before the batch after the
 * prefix, -2 Redis is out of memory (nothing more done but a trim of acknowledged entries).
 * At its bound (in entries or bytes) the output is trimmed of what every group has acknowledged
 * before the script gives up, so a producer waits for room only when the hop really is full. A
 * batch larger than the byte bound still goes onto an empty hop.
 *
 * Out of memory (maxmemory with noeviction): Redis refuses a script's first write that may grow
 * memory, and lets every write after its first one through (a script cannot stop half-way). So
 * the first add is this script's first write, made with pcall: when Redis refuses it, nothing was
 * done and the script trims the acknowledged entries (XTRIM is never refused) to free memory. The
 * acknowledgement comes after the adds and is itself never refused (XACK does not grow memory);
 * a group with nothing to add runs as ACK_LUA, which may write whatever the memory.
 * (The batches' bytes pass through Lua, which hashes every string it is given: about 1.3 us of
 * Redis CPU per KiB, 7.5 us for 64 packets of 64 B in wire form. A MULTI of a plain XADD and a
 * byte-free script avoids that, but costs more client CPU than it saves: +30 us per commit with
 * ioredis's multi(), +12 us with the four commands written by hand in one write.)
 */
export const COMMIT_LUA = `${ADD_BATCHES}
local given, k = {}, 1
for i = 1, 6 do
  if string.sub(ARGV[1], i, i) == '1' then given[i] = KEYS[k] k = k + 1 else given[i] = '' end
end
local inS, outS, ledger, epochKey, room, bytesKey = given[1], given[2], given[3], given[4], given[5], given[6]
local group, me, epoch, outGroup = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local bound, boundBytes, n = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local function idOf(i) return ARGV[6 + 3 * i] end
-- a resent command: the ledger names the last batch its first attempt did
local first = 1
if ledger ~= '' then
  local lastId = redis.call('HGET', ledger, 'last_id')
  if lastId then
    for i = n, 1, -1 do if idOf(i) == lastId then first = i + 1 break end end
  end
end
if first > n then return {2, n, 0} end
local status = 1
local owned = {}
-- another consumer took an input over: the batches before it still commit, it and the rest not
local refusedAt = nil
if inS ~= '' then
  local missing = nil
  for i = first, n do
    local id = idOf(i)
    local ok, p = pcall(redis.call, 'XPENDING', inS, group, id, id, 1)
    if ok and p[1] and p[1][2] == me then owned[i] = true elseif missing == nil then missing = i end
  end
  if missing then
    if redis.call('GET', epochKey) == epoch then
      if missing == first then return {0, first - 1, 0} end
      refusedAt = missing
      n = missing - 1
    else
      status = 3
    end
  end
end
local outLen, done = 0, n
if outS ~= '' then
  local refusal
  refusal, done, outLen = addBatches(outS, outGroup, bytesKey, bound, boundBytes, first, n, function(i) return ARGV[7 + 3 * i] end)
  if refusal == 'oom' then return {-2, first - 1, outLen} end
  if refusal then return redis.error_reply(refusal) end
end
if done < first then return {-1, done, outLen} end
local acks = {}
for i = first, done do if owned[i] then acks[#acks + 1] = idOf(i) end end
if #acks > 0 then
  redis.call('XACK', inS, group, unpack(acks))
  if room ~= '' then
    redis.call('RPUSH', room, 1)
    redis.call('LTRIM', room, -1, -1)
  end
end
if ledger ~= '' then redis.call('HSET', ledger, 'last_id', idOf(done), 'v', ARGV[8 + 3 * done]) end
if refusedAt and done == n then status = 0 end
return {status, done, outLen}
`;

/**
 * The first half of a commit whose input and output hops are in different Redis Cluster slots
 * (one script may only touch one slot): the group's batches go onto the output hop exactly as
 * COMMIT_LUA adds them; then ACK_LUA acknowledges their inputs and writes the ledger in the input
 * hop's slot. A stage that dies between the two leaves its inputs pending: they are read and
 * forwarded again, and the next stage's batch dedup (batch-dedup.ts) counts the copies as
 * duplicates. The sender's last add is noted under its consumer name with a token of its
 * process, so a resent call (its reply was lost) finds what its first attempt added and adds it
 * no second time.
 *   KEYS: output stream, the hop's note of each sender's last add, [its byte count hash]
 *   ARGV: output group, bound, bound in bytes, sender, token, N, then per batch: its input entry
 *         id and its bytes ('' for an acknowledgement only)
 * Returns {status, batches done, output length} as COMMIT_LUA does (1, 2, -1 or -2).
 */
export const FORWARD_LUA = `${ADD_BATCHES}
local outS, sent, bytesKey = KEYS[1], KEYS[2], KEYS[3] or ''
local outGroup, bound, boundBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local sender, token, n = ARGV[4], ARGV[5], tonumber(ARGV[6])
local function idOf(i) return ARGV[5 + 2 * i] end
local first = 1
local last = redis.call('HGET', sent, sender)
if last then
  for i = n, 1, -1 do if last == token .. ' ' .. idOf(i) then first = i + 1 break end end
end
if first > n then return {2, n, redis.call('XLEN', outS)} end
local refusal, done, outLen = addBatches(outS, outGroup, bytesKey, bound, boundBytes, first, n, function(i) return ARGV[6 + 2 * i] end)
if refusal == 'oom' then return {-2, first - 1, outLen} end
if refusal then return redis.error_reply(refusal) end
if done < first then return {-1, done, outLen} end
redis.call('HSET', sent, sender, token .. ' ' .. idOf(done))
return {1, done, outLen}
`;

/**
 * A commit with nothing to add (a last stage's acknowledgement, or the input of a batch dropped
 * at a full hop): COMMIT_LUA flagged so Redis runs it even out of memory, since acknowledging is
 * what lets memory be freed (Redis 7 script flags; the flag must be the script's first line).
 */
export const ACK_LUA = `#!lua flags=allow-oom
${COMMIT_LUA}`;

/** Declares the generator's end; allowed out of memory, or a full Redis could never end a run. */
export const DECLARE_END_LUA = `#!lua flags=allow-oom
redis.call('SET', KEYS[1], '1')
return 1
`;

/**
 * Creates a hop's stream and consumer group if missing; allowed out of memory (an empty stream is
 * a few hundred bytes, and a consumer that cannot join can never drain anything).
 *   KEYS: stream   ARGV: group   Returns 1 created, 0 it existed.
 */
export const CREATE_GROUP_LUA = `#!lua flags=allow-oom
local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(r) == 'table' and r.err then
  if string.find(r.err, 'BUSYGROUP', 1, true) then return 0 end
  return redis.error_reply(r.err)
end
return 1
`;

/** Sets the epoch once per Redis lifetime and returns it; allowed out of memory (see ACK_LUA). */
export const EPOCH_LUA = `#!lua flags=allow-oom
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
`;

/**
 * Keeps batches in hand from looking abandoned: resets their idle time, but only for entries
 * this consumer still owns (never takes one back from a consumer that claimed it).
 *   KEYS: stream   ARGV: group, consumer, ids...
 */
export const HEARTBEAT_LUA = `
local n = 0
for i = 3, #ARGV do
  local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if ok and p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
`;

/** Has everything on hop stream `s` been delivered to group `want` and acknowledged? */
const DRAINED = `${ID_HELPERS}
local function drained(s, want)
  if redis.call('EXISTS', s) == 0 then return true end
  local found = false
  for _, g in ipairs(groupsOf(s)) do
    if g['name'] == want then
      found = true
      if g['pending'] > 0 then return false end
      local last = redis.call('XREVRANGE', s, '+', '-', 'COUNT', 1)
      if last[1] and less(g['last-delivered-id'], last[1][1]) then return false end
    end
  end
  return found or redis.call('XLEN', s) == 0
end
`;

/**
 * Has the stream into a stage ended? True when the generator has declared its end and every hop
 * from the generator to this stage has nothing undelivered and nothing pending: every packet has
 * been committed past this stage's input, so nothing more can arrive.
 *   KEYS: end flag, hop streams from the first to this stage's input   ARGV: their groups
 */
export const ENDED_LUA = `${DRAINED}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #KEYS do
  if not drained(KEYS[i], ARGV[i - 1]) then return 0 end
end
return 1
`;

/**
 * ENDED_LUA one hop at a time, for hops in different Redis Cluster slots: 1 when the hop is
 * drained (see redis-bus.ts's ended() for why checking them in order from the first is enough).
 *   KEYS: hop stream   ARGV: its group
 */
export const HOP_DRAINED_LUA = `${DRAINED}
if drained(KEYS[1], ARGV[1]) then return 1 end
return 0
`;
