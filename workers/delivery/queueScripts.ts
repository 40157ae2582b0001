/**
 * Redis scripts of the shared command queue (see sharedQueue.ts). One list keeps every group in the
 * order it was submitted (lanes are the sender's business: its batcher puts interactive groups first
 * while keeping the groups of one call in order). A group's place is kept in the
 * groups hash: `q` queued, `t:<sender>` taken by a sender, `s:<sender>` sent by it, absent once
 * answered or cancelled. Every move is one atomic script, so a group is sent at most once even when
 * a sender dies, loses its lease or its owner takes the group back.
 *
 * A queued entry is `<group id>\n<JSON>`; the id comes first so scripts need not decode JSON.
 */

// KEYS: queue, wake, groups. ARGV: id, entry, "head" to put it first.
export const SUBMIT = `
redis.call("HSET", KEYS[3], ARGV[1], "q")
if ARGV[3] == "head" then redis.call("LPUSH", KEYS[1], ARGV[2]) else redis.call("RPUSH", KEYS[1], ARGV[2]) end
redis.call("RPUSH", KEYS[2], "1")
redis.call("LTRIM", KEYS[2], -8, -1)
return 1
`;

// KEYS: queue, groups, sender lease. ARGV: sender id, most entries to take. An entry whose group is
// no longer queued (its owner cancelled it) is dropped.
export const PULL = `
if redis.call("GET", KEYS[3]) ~= ARGV[1] then return {} end
local out = {}
local max = tonumber(ARGV[2])
while #out < max do
  local entry = redis.call("LPOP", KEYS[1])
  if not entry then break end
  local id = string.match(entry, "^([^\\n]+)\\n")
  if id and redis.call("HGET", KEYS[2], id) == "q" then
    redis.call("HSET", KEYS[2], id, "t:" .. ARGV[1])
    out[#out + 1] = entry
  end
end
return out
`;

// KEYS: groups, sender lease. ARGV: sender id, group ids. Before each attempt: the groups this
// sender may send now (it holds the lease and the groups are still its own) are marked sent.
// Returns 1/0 per id.
export const MARK_SENT = `
local mine = redis.call("GET", KEYS[2]) == ARGV[1]
local out = {}
for i = 2, #ARGV do
  local at = redis.call("HGET", KEYS[1], ARGV[i])
  if mine and (at == "t:" .. ARGV[1] or at == "s:" .. ARGV[1]) then
    redis.call("HSET", KEYS[1], ARGV[i], "s:" .. ARGV[1])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

// KEYS: groups, the owner's results list. ARGV: sender id, group id, answer, ttl ms.
// Hands an answer to its owner, unless the owner took the group back meanwhile.
export const ANSWER = `
local at = redis.call("HGET", KEYS[1], ARGV[2])
if at ~= "t:" .. ARGV[1] and at ~= "s:" .. ARGV[1] then return 0 end
redis.call("HDEL", KEYS[1], ARGV[2])
redis.call("RPUSH", KEYS[2], ARGV[3])
redis.call("PEXPIRE", KEYS[2], tonumber(ARGV[4]))
return 1
`;

// KEYS: groups, sender lease, queue, wake, the owner's results list. ARGV: (id, entry)...
// The owner's watchdog over its unanswered groups. Per group: "q" still queued, "live" with the
// sender that holds the lease, "requeued" (taken by a sender that lost its lease, never sent: put
// back first in line), "lost" (sent by a sender that lost its lease: it may have run), "answering"
// (no trace, but answers wait to be read), "gone" (no trace and no answer waiting).
export const RECOVER = `
local lease = redis.call("GET", KEYS[2])
local unread = redis.call("LLEN", KEYS[5])
local out = {}
for i = 1, #ARGV, 2 do
  local id, entry = ARGV[i], ARGV[i + 1]
  local at = redis.call("HGET", KEYS[1], id)
  if not at then
    out[#out + 1] = unread > 0 and "answering" or "gone"
  elseif at == "q" then
    out[#out + 1] = "q"
  elseif lease and string.sub(at, 3) == lease then
    out[#out + 1] = "live"
  elseif string.sub(at, 1, 1) == "t" then
    redis.call("HSET", KEYS[1], id, "q")
    redis.call("LPUSH", KEYS[3], entry)
    redis.call("RPUSH", KEYS[4], "1")
    out[#out + 1] = "requeued"
  else
    redis.call("HDEL", KEYS[1], id)
    out[#out + 1] = "lost"
  end
end
return out
`;

// KEYS: groups, queue. ARGV: (id, entry)... The owner gives up on
// groups (shutdown): "cancelled" when not sent (a sender that took one will leave it out),
// "sent" when a sender has sent it, "gone" when there is no trace of it.
export const CANCEL = `
local out = {}
for i = 1, #ARGV, 2 do
  local id, entry = ARGV[i], ARGV[i + 1]
  local at = redis.call("HGET", KEYS[1], id)
  if not at then
    out[#out + 1] = "gone"
  elseif string.sub(at, 1, 1) == "s" then
    out[#out + 1] = "sent"
  else
    if at == "q" then redis.call("LREM", KEYS[2], 1, entry) end
    redis.call("HDEL", KEYS[1], id)
    out[#out + 1] = "cancelled"
  end
end
return out
`;

// KEYS: groups, queue, wake. ARGV: sender id, (id, entry)... (in queue order). A sender that stops
// (lease lost, shutdown) puts back, first in line and in their order, what it took and never sent.
export const GIVE_BACK = `
local n = 0
for i = #ARGV - 1, 2, -2 do
  local id, entry = ARGV[i], ARGV[i + 1]
  if redis.call("HGET", KEYS[1], id) == "t:" .. ARGV[1] then
    redis.call("HSET", KEYS[1], id, "q")
    redis.call("LPUSH", KEYS[2], entry)
    n = n + 1
  end
end
if n > 0 then redis.call("RPUSH", KEYS[3], "1") end
return n
`;

// KEYS: lease. ARGV: id, ttl ms. Renews the lease if it is still ours.
export const RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[2])) end
return 0
`;

// KEYS: lease. ARGV: id. Releases the lease if it is still ours.
export const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`;
