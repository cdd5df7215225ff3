import Redis

extension RateLimiter {
    /// Exact decimal helpers: budgets are pico-USD and may pass 2⁵³, where Lua's doubles stop
    /// being exact, so amounts stay decimal strings and are compared and added digit by digit.
    static let decimalLua = """
    local function norm(s)
      if string.sub(s, 1, 1) == '-' then return '0' end
      s = string.gsub(s, '^0+', '')
      if s == '' then return '0' end
      return s
    end
    local function cmp(a, b)
      a = norm(a); b = norm(b)
      if #a ~= #b then if #a < #b then return -1 else return 1 end end
      if a == b then return 0 end
      if a < b then return -1 else return 1 end
    end
    local function add(a, b)
      a = norm(a); b = norm(b)
      local digits, carry, i, j = {}, 0, #a, #b
      while i > 0 or j > 0 or carry > 0 do
        local d = carry
        if i > 0 then d = d + tonumber(string.sub(a, i, i)) end
        if j > 0 then d = d + tonumber(string.sub(b, j, j)) end
        digits[#digits + 1] = tostring(d % 10)
        carry = math.floor(d / 10)
        i = i - 1; j = j - 1
      end
      return norm(string.reverse(table.concat(digits)))
    end
    """

    /// Check every limit and, only if all pass, count the request against all of them: one
    /// atomic step, so processes sharing a limit never admit more than it in total.
    ///
    /// KEYS[1]: the admission record. ARGV: request id, now (ms), record TTL (ms), then groups of
    /// (kind, counter key, limit, amount, TTL ms, retry-after ms). Kinds: `requests`, `tokens`
    /// and `spend` (windowed counters) and `slots` (a sorted set of in-flight request ids
    /// scored by expiry). A request is admitted only if every counter stays within its limit
    /// after adding its amount: a counter already at its limit rejects.
    /// Returns {1} when admitted (or admitted before), {0, index, retry-after ms} otherwise.
    static let admitScript = RedisScript(decimalLua + """

    if redis.call('EXISTS', KEYS[1]) == 1 then return {1} end
    local id, now, recordTTL = ARGV[1], tonumber(ARGV[2]), ARGV[3]
    local items = {}
    local index = 0
    for i = 4, #ARGV, 6 do
      index = index + 1
      local kind, key, limit, amount, ttl, retry = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
      if kind == 'slots' then
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
        local used = tostring(redis.call('ZCARD', key))
        if cmp(add(used, '1'), limit) > 0 then
          local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          local wait = tonumber(retry)
          if first[2] then wait = math.min(wait, math.max(1, tonumber(first[2]) - now)) end
          return {0, index, wait}
        end
      else
        local used = redis.call('GET', key) or '0'
        if cmp(used, limit) >= 0 or cmp(add(used, amount), limit) > 0 then return {0, index, tonumber(retry)} end
      end
      items[#items + 1] = {kind, key, amount, ttl}
    end
    for _, item in ipairs(items) do
      if item[1] == 'slots' then
        redis.call('ZADD', item[2], now + tonumber(item[4]), id)
        redis.call('PEXPIRE', item[2], item[4])
      else
        redis.call('INCRBY', item[2], item[3])
        if redis.call('PTTL', item[2]) < 0 then redis.call('PEXPIRE', item[2], item[4]) end
      end
    end
    redis.call('SET', KEYS[1], cjson.encode({id = id, items = items}), 'PX', recordTTL)
    return {1}
    """)

    /// Reconcile an admitted request with what it really used, once: replace the estimates
    /// with the actual tokens and cost (only in windows that still exist) and free its
    /// in-flight slot. KEYS[1]: the admission record; ARGV: actual tokens, actual pico-USD.
    /// Returns 1 when settled, 0 when there was nothing to settle.
    static let settleScript = RedisScript("""
    local raw = redis.call('GET', KEYS[1])
    if not raw then return 0 end
    redis.call('DEL', KEYS[1])
    local record = cjson.decode(raw)
    for _, item in ipairs(record.items) do
      local kind, key, estimate = item[1], item[2], item[3]
      if kind == 'slots' then
        redis.call('ZREM', key, record.id)
      elseif redis.call('EXISTS', key) == 1 then
        local actual = nil
        if kind == 'tokens' then actual = ARGV[1] end
        if kind == 'spend' then actual = ARGV[2] end
        if actual then
          redis.call('DECRBY', key, estimate)
          redis.call('INCRBY', key, actual)
        end
      end
    end
    return 1
    """)
}
