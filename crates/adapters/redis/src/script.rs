//! The version-guarded write, atomic in Redis.
//!
//! An entry is a hash `{v: <version>, d: <json>}`. The script writes only when no entry of a
//! higher version is there, so concurrent fills can never regress an entry. Versions are
//! compared as canonical decimal strings (not Lua numbers, which are doubles and lose
//! precision above 2^53). Anything else found at the key (another type, a garbled version) is
//! replaced.
use deadpool_redis::redis::Script;

const PUT: &str = r"
local key, version, data, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3]

local function canonical(s)
  return s == '0' or string.match(s, '^%-?[1-9]%d*$') ~= nil
end

-- a > b for canonical decimal integers
local function greater(a, b)
  local neg_a, neg_b = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'
  if neg_a ~= neg_b then return neg_b end
  if #a ~= #b then return (#a > #b) ~= neg_a end
  if a == b then return false end
  return (a > b) ~= neg_a
end

if redis.call('TYPE', key).ok == 'hash' then
  local current = redis.call('HGET', key, 'v')
  if current and canonical(current) and greater(current, version) then
    return 0
  end
end
redis.call('DEL', key)
redis.call('HSET', key, 'v', version, 'd', data)
redis.call('EXPIRE', key, ttl)
return 1
";

/// `KEYS[1]` the entry; `ARGV` version, data, TTL in seconds. Returns 1 when written, 0 when
/// a higher version was kept.
pub(crate) fn put_script() -> Script {
    Script::new(PUT)
}
