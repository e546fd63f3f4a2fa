// Lua's pattern matching written in Lua; see lua_pattern_match.hpp.
#include "engine/sandbox/lua_pattern_match.hpp"

#include <cstring>
#include <initializer_list>

namespace solo {

namespace {

// A port of lstrlib.c (Lua 5.4.4): the same functions, in the same order,
// positions 1-based (a C pointer s is the index s - src_init + 1; the end of
// the subject is n + 1, of the pattern m + 1). The pattern is read from a
// table of its bytes with two zeros after it, where C reads its '\0'; the
// subject too when it is short.
constexpr const char* matcher_source = R"lua(
local byte, sub, find, concat, move, unpack, type, tostring, error, setmetatable = ...

-- Subjects up to this many bytes are read from a table of their bytes (16
-- bytes of memory a byte, ~2x faster); longer ones through string.byte.
local SUBJECT_TABLE_MAX = 32768

local MAXCCALLS = 200
local MAXCAPTURES = 32
local CAP_UNFINISHED = -1
local CAP_POSITION = -2

-- match_class in the C locale: CLASS[class letter][byte] (uppercase: complement).
local CLASS = {}
do
  local function set(letter, pred)
    local lower, upper = {}, {}
    for c = 0, 255 do
      local r = pred(c) and true or false
      lower[c] = r
      upper[c] = not r
    end
    local l = byte(letter)
    CLASS[l] = lower
    CLASS[l - 32] = upper
  end
  local function alpha(c) return (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end
  local function digit(c) return c >= 48 and c <= 57 end
  set("a", alpha)
  set("c", function(c) return c < 32 or c == 127 end)
  set("d", digit)
  set("g", function(c) return c > 32 and c < 127 end)
  set("l", function(c) return c >= 97 and c <= 122 end)
  set("p", function(c) return c > 32 and c < 127 and not alpha(c) and not digit(c) end)
  set("s", function(c) return (c >= 9 and c <= 13) or c == 32 end)
  set("u", function(c) return c >= 65 and c <= 90 end)
  set("w", function(c) return alpha(c) or digit(c) end)
  set("x", function(c) return digit(c) or (c >= 65 and c <= 70) or (c >= 97 and c <= 102) end)
  set("z", function(c) return c == 0 end)  -- deprecated option
end

-- "^$*+?.([%-"
local SPECIALS = {}
do
  local sp = "^$*+?.([%-"
  for i = 1, #sp do SPECIALS[byte(sp, i)] = true end
end

-- The bytes of str in a table, and two zeros after them.
local function bytes(str, len)
  local t = {}
  for i = 1, len, 4096 do
    local j = i + 4095
    if j > len then j = len end
    local chunk = { byte(str, i, j) }
    move(chunk, 1, j - i + 1, i, t)
  end
  t[len + 1] = 0
  t[len + 2] = 0
  return t
end

-- lstrlib's posrelatI.
local function posrelat(pos, len)
  if pos > 0 then return pos
  elseif pos == 0 then return 1
  elseif pos < -len then return 1
  else return len + pos + 1 end
end

-- A MatchState over subject s (n bytes) and pattern p (m bytes). Returns
-- match(si, pi), reset(), captures(si, ei) and onecapture(i, si, ei).
local function matcher(s, n, p, m)
  local P = bytes(p, m)
  -- S[i]: the subject's byte i, 0 at n + 1 (where C reads its '\0')
  local S
  if n <= SUBJECT_TABLE_MAX then
    S = bytes(s, n)
  else
    S = setmetatable({}, { __index = function(_, i) return byte(s, i) or 0 end })
  end
  local cinit, clen = {}, {}
  local level, depth = 0, MAXCCALLS
  local do_match

  local function check_capture(ch)
    local l = ch - 48
    if l < 1 or l > level or clen[l] == CAP_UNFINISHED then
      error("invalid capture index %" .. l, 0)
    end
    return l
  end

  local function capture_to_close()
    for l = level, 1, -1 do
      if clen[l] == CAP_UNFINISHED then return l end
    end
    error("invalid pattern capture", 0)
  end

  local function classend(pi)
    local c = P[pi]
    pi = pi + 1
    if c == 37 then  -- '%'
      if pi > m then error("malformed pattern (ends with '%')", 0) end
      return pi + 1
    elseif c == 91 then  -- '['
      if P[pi] == 94 then pi = pi + 1 end
      repeat  -- look for a ']'
        if pi > m then error("malformed pattern (missing ']')", 0) end
        local cc = P[pi]
        pi = pi + 1
        if cc == 37 and pi <= m then pi = pi + 1 end  -- skip escapes (e.g. '%]')
      until P[pi] == 93
      return pi + 1
    else
      return pi
    end
  end

  -- pi: the '[', ec: the ']'.
  local function matchbracketclass(c, pi, ec)
    local sig = true
    if P[pi + 1] == 94 then
      sig = false
      pi = pi + 1
    end
    pi = pi + 1
    while pi < ec do
      local pc = P[pi]
      if pc == 37 then
        pi = pi + 1
        local cl = P[pi]
        local t = CLASS[cl]
        if t then
          if t[c] then return sig end
        elseif cl == c then
          return sig
        end
      elseif P[pi + 1] == 45 and pi + 2 < ec then  -- a range
        pi = pi + 2
        if pc <= c and c <= P[pi] then return sig end
      elseif pc == c then
        return sig
      end
      pi = pi + 1
    end
    return not sig
  end

  local function singlematch(si, pi, ep)
    if si > n then return false end
    local c = S[si]
    local pc = P[pi]
    if pc == 46 then return true  -- '.'
    elseif pc == 37 then
      local cl = P[pi + 1]
      local t = CLASS[cl]
      if t then return t[c] end
      return cl == c
    elseif pc == 91 then return matchbracketclass(c, pi, ep - 1)
    else return pc == c end
  end

  local function matchbalance(si, pi)
    if pi >= m then error("malformed pattern (missing arguments to '%b')", 0) end
    local b = P[pi]
    if S[si] ~= b then return nil end
    local e = P[pi + 1]
    local cont = 1
    si = si + 1
    while si <= n do
      local c = S[si]
      if c == e then
        cont = cont - 1
        if cont == 0 then return si + 1 end
      elseif c == b then
        cont = cont + 1
      end
      si = si + 1
    end
    return nil  -- string ends out of balance
  end

  -- What follows the item at ep: the plain byte that must match once
  -- there, or nil (see max_expand).
  local function required_literal(ep)
    local next_pi = ep + 1
    local literal = P[next_pi]
    if next_pi > m or depth == 0 or SPECIALS[literal] or literal == 41 then return nil end
    local after = P[next_pi + 1]
    if after == 42 or after == 63 or after == 45 then return nil end
    return literal
  end

  -- lstrlib's max_expand, with two shortcuts that do not change what it
  -- finds: the run of matching bytes is counted without a call per byte,
  -- and when what follows is a plain byte that must match once (no '*', '?'
  -- or '-' after it), the positions where it cannot are not tried (match
  -- would fail there at once; only with depth to spare, so that "pattern too
  -- complex" is raised where lstrlib raises it).
  local function max_expand(si, pi, ep)
    local i = 0
    local pc = P[pi]
    if pc == 46 then  -- '.'
      if si <= n then i = n - si + 1 end
    elseif pc == 37 then
      local cl = P[pi + 1]
      local t = CLASS[cl]
      if t then
        while si + i <= n and t[S[si + i]] do i = i + 1 end
      else
        while si + i <= n and S[si + i] == cl do i = i + 1 end
      end
    elseif pc == 91 then
      while si + i <= n and matchbracketclass(S[si + i], pi, ep - 1) do i = i + 1 end
    else
      while si + i <= n and S[si + i] == pc do i = i + 1 end
    end
    -- keeps trying to match with the maximum repetitions
    local next_pi = ep + 1
    local literal = required_literal(ep)
    if literal then
      while i >= 0 do
        if S[si + i] == literal and si + i <= n then
          local res = do_match(si + i, next_pi)
          if res then return res end
        end
        i = i - 1
      end
      return nil
    end
    while i >= 0 do
      local res = do_match(si + i, next_pi)
      if res then return res end
      i = i - 1
    end
    return nil
  end

  local function min_expand(si, pi, ep)
    local literal = required_literal(ep)
    while true do
      if not literal or (S[si] == literal and si <= n) then
        local res = do_match(si, ep + 1)
        if res then return res end
      end
      if singlematch(si, pi, ep) then si = si + 1
      else return nil end
    end
  end

  local function start_capture(si, pi, what)
    if level >= MAXCAPTURES then error("too many captures", 0) end
    level = level + 1
    cinit[level] = si
    clen[level] = what
    local res = do_match(si, pi)
    if not res then level = level - 1 end  -- undo capture
    return res
  end

  local function end_capture(si, pi)
    local l = capture_to_close()
    clen[l] = si - cinit[l]
    local res = do_match(si, pi)
    if not res then clen[l] = CAP_UNFINISHED end  -- undo capture
    return res
  end

  local function match_capture(si, ch)
    local l = check_capture(ch)
    local len = clen[l]
    -- a position capture's length is (size_t)-2 in C: never fits
    if len >= 0 and n + 1 - si >= len then
      local ci = cinit[l]
      for k = 0, len - 1 do
        if S[ci + k] ~= S[si + k] then return nil end
      end
      return si + len
    end
    return nil
  end

  do_match = function(si, pi)
    if depth == 0 then error("pattern too complex", 0) end
    depth = depth - 1
    while pi <= m do  -- the C version's "goto init" is a "goto continue"
      local pc = P[pi]
      if pc == 40 then  -- '(': start capture
        if P[pi + 1] == 41 then  -- position capture
          si = start_capture(si, pi + 2, CAP_POSITION)
        else
          si = start_capture(si, pi + 1, CAP_UNFINISHED)
        end
        break
      elseif pc == 41 then  -- ')': end capture
        si = end_capture(si, pi + 1)
        break
      elseif pc == 36 and pi == m then  -- '$' as the last char
        if si ~= n + 1 then si = nil end
        break
      elseif pc == 37 then
        local nc = P[pi + 1]
        if nc == 98 then  -- %b: balanced string
          si = matchbalance(si, pi + 2)
          if not si then break end
          pi = pi + 4
          goto continue
        elseif nc == 102 then  -- %f: frontier
          pi = pi + 2
          if P[pi] ~= 91 then error("missing '[' after '%f' in pattern", 0) end
          local ep = classend(pi)
          local previous = si == 1 and 0 or S[si - 1]
          local current = S[si]
          if not matchbracketclass(previous, pi, ep - 1) and matchbracketclass(current, pi, ep - 1) then
            pi = ep
            goto continue
          end
          si = nil
          break
        elseif nc >= 48 and nc <= 57 then  -- %0-%9: back-reference
          si = match_capture(si, nc)
          if not si then break end
          pi = pi + 2
          goto continue
        end
      end
      do  -- default: a single char class plus optional suffix
        local ep = classend(pi)
        local epc = P[ep]
        if not singlematch(si, pi, ep) then
          if epc == 42 or epc == 63 or epc == 45 then  -- '*', '?', '-': accept empty
            pi = ep + 1
            goto continue
          end
          si = nil  -- '+' or no suffix
          break
        elseif epc == 63 then  -- '?'
          local res = do_match(si + 1, ep + 1)
          if res then
            si = res
            break
          end
          pi = ep + 1
          goto continue
        elseif epc == 43 then  -- '+'
          si = max_expand(si + 1, pi, ep)
          break
        elseif epc == 42 then  -- '*'
          si = max_expand(si, pi, ep)
          break
        elseif epc == 45 then  -- '-'
          si = min_expand(si, pi, ep)
          break
        else  -- no suffix
          si = si + 1
          pi = ep
        end
      end
      ::continue::
    end
    depth = depth + 1
    return si
  end

  local function reset() level = 0 end

  -- get_onecapture, i 1-based; a position capture is its integer.
  local function onecapture(i, si, ei)
    if i > level then
      if i ~= 1 then error("invalid capture index %" .. i, 0) end
      return sub(s, si, ei - 1)
    end
    local l = clen[i]
    if l == CAP_UNFINISHED then error("unfinished capture", 0) end
    if l == CAP_POSITION then return cinit[i] end
    return sub(s, cinit[i], cinit[i] + l - 1)
  end

  -- push_captures: si nil for find's (no whole match when no captures).
  local function captures(si, ei)
    local count = (level == 0 and si) and 1 or level
    if count == 0 then return end
    if count == 1 then return (onecapture(1, si, ei)) end
    local t = {}
    for i = 1, count do t[i] = onecapture(i, si, ei) end
    return unpack(t, 1, count)
  end

  return do_match, reset, captures, onecapture
end

-- lmemfind: the first position from init where p (m bytes) occurs in s (n bytes).
local function memfind(s, n, init, p, m)
  if m == 0 then return init end
  if m > n - init + 1 then return nil end
  local first = sub(p, 1, 1)
  local last = n - m + 1
  local i = init
  while i <= last do
    i = find(s, first, i, true)  -- memchr
    if not i or i > last then return nil end
    local k = 1
    while k < m and byte(s, i + k) == byte(p, k + 1) do k = k + 1 end
    if k == m then return i end
    i = i + 1
  end
  return nil
end

local function nospecials(p, m)
  for i = 1, m do
    if SPECIALS[byte(p, i)] then return false end
  end
  return true
end

local function find_aux(is_find, s, p, init, plain)
  local ls, lp = #s, #p
  init = posrelat(init or 1, ls)
  if init > ls + 1 then return nil end  -- start after string's end
  if is_find and (plain or nospecials(p, lp)) then
    local i = memfind(s, ls, init, p, lp)
    if i then return i, i + lp - 1 end
    return nil
  end
  local anchor = byte(p, 1) == 94
  local pstart = anchor and 2 or 1
  local do_match, reset, captures = matcher(s, ls, p, lp)
  local s1 = init
  repeat
    reset()
    local e = do_match(s1, pstart)
    if e then
      if is_find then return s1, e - 1, captures(nil, 0) end
      return captures(s1, e)
    end
    s1 = s1 + 1
  until s1 > ls + 1 or anchor
  return nil
end

local function str_find(s, p, init, plain) return find_aux(true, s, p, init, plain) end
local function str_match(s, p, init) return find_aux(false, s, p, init, false) end

local function gmatch(s, p, init)
  local ls = #s
  init = posrelat(init or 1, ls)
  if init > ls + 1 then init = ls + 2 end
  local do_match, reset, captures = matcher(s, ls, p, #p)
  local src, lastmatch = init, nil
  return function()
    for si = src, ls + 1 do
      reset()
      local e = do_match(si, 1)
      if e and e ~= lastmatch then
        src = e
        lastmatch = e
        return captures(si, e)
      end
    end
    return
  end
end

-- The replacement string parsed once: literal strings, capture numbers
-- (0-9), and false where add_s would raise.
local function parse_replacement(repl)
  local parts, count = {}, 0
  local i, rl = 1, #repl
  while true do
    local j = find(repl, "%", i, true)
    if not j then
      if i <= rl then
        count = count + 1
        parts[count] = sub(repl, i, rl)
      end
      return parts, count
    end
    if j > i then
      count = count + 1
      parts[count] = sub(repl, i, j - 1)
    end
    local c = byte(repl, j + 1)
    count = count + 1
    if c == 37 then
      parts[count] = "%"
    elseif c and c >= 48 and c <= 57 then
      parts[count] = c - 48
    else
      parts[count] = false
      return parts, count
    end
    i = j + 2
  end
end

local function gsub(s, p, repl, max_s)
  local srcl, lp = #s, #p
  local tr = type(repl)
  if max_s == nil then max_s = srcl + 1 end
  if tr == "number" then
    repl = tostring(repl)
    tr = "string"
  end
  local parts, nparts
  if tr == "string" then parts, nparts = parse_replacement(repl) end
  local anchor = byte(p, 1) == 94
  local pstart = anchor and 2 or 1
  local do_match, reset, captures, onecapture = matcher(s, srcl, p, lp)
  local out, nout = {}, 0
  local pending = 1  -- the original text from here is not in out yet
  local src, lastmatch, n, changed = 1, nil, 0, false
  while n < max_s do
    reset()
    local e = do_match(src, pstart)
    if e and e ~= lastmatch then
      n = n + 1
      -- add_value
      if tr == "string" then
        if pending < src then
          nout = nout + 1
          out[nout] = sub(s, pending, src - 1)
        end
        for k = 1, nparts do
          local part = parts[k]
          local v
          if part == 0 then
            v = sub(s, src, e - 1)
          elseif part == false then
            error("invalid use of '%' in replacement string", 0)
          elseif type(part) == "number" then
            v = onecapture(part, src, e)
          else
            v = part
          end
          nout = nout + 1
          out[nout] = v
        end
        pending = e
        changed = true
      else
        local v
        if tr == "function" then
          v = repl(captures(src, e))
        else
          v = repl[onecapture(1, src, e)]
        end
        if v then  -- nil or false keep the original text
          local tv = type(v)
          if tv ~= "string" and tv ~= "number" then
            error("invalid replacement value (a " .. tv .. ")", 0)
          end
          if pending < src then
            nout = nout + 1
            out[nout] = sub(s, pending, src - 1)
          end
          nout = nout + 1
          out[nout] = v
          pending = e
          changed = true
        end
      end
      src = e
      lastmatch = e
    elseif src <= srcl then  -- otherwise, skip one character
      src = src + 1
    else
      break  -- end of subject
    end
    if anchor then break end
  end
  if not changed then return s, n end
  if pending <= srcl then
    nout = nout + 1
    out[nout] = sub(s, pending, srcl)
  end
  return concat(out, "", 1, nout), n
end

return { find = str_find, match = str_match, gmatch = gmatch, gsub = gsub }
)lua";

// Registry keys (their addresses): the originals kept at setup (a table
// shaped as the globals push_lua_matcher reads), and the matcher once built.
char originals_key = 0;
char matcher_key = 0;

void copy_fields(lua_State* L, int from, std::initializer_list<const char*> names) {
  lua_createtable(L, 0, static_cast<int>(names.size()));
  for (const char* name : names) {
    lua_getfield(L, from, name);
    lua_setfield(L, -2, name);
  }
}

}  // namespace

void push_lua_matcher(lua_State* L, int globals_index) {
  const int g = lua_absindex(L, globals_index);
  if (luaL_loadbufferx(L, matcher_source, std::strlen(matcher_source), "=pattern matcher", "t") != LUA_OK) {
    lua_error(L);  // a bug in the chunk
  }
  // No globals: everything it uses is an argument.
  lua_pushnil(L);
  lua_setupvalue(L, -2, 1);
  lua_getfield(L, g, "string");
  lua_getfield(L, g, "table");
  const int str = lua_gettop(L) - 1, tab = lua_gettop(L);
  lua_pushvalue(L, str - 1);  // the chunk
  for (const char* name : {"byte", "sub", "find"}) lua_getfield(L, str, name);
  for (const char* name : {"concat", "move", "unpack"}) lua_getfield(L, tab, name);
  for (const char* name : {"type", "tostring", "error", "setmetatable"}) lua_getfield(L, g, name);
  lua_call(L, 10, 1);
  lua_replace(L, str - 1);
  lua_pop(L, 2);
}

void keep_lua_matcher_originals(lua_State* L, int globals_index) {
  const int g = lua_absindex(L, globals_index);
  copy_fields(L, g, {"type", "tostring", "error", "setmetatable"});
  lua_rawsetp(L, LUA_REGISTRYINDEX, &originals_key);
}

void keep_lua_matcher_string_originals(lua_State* L, int string_index) {
  const int str = lua_absindex(L, string_index);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &originals_key) != LUA_TTABLE) {
    luaL_error(L, "the pattern matcher's originals were not kept");  // a bug: setup keeps them
  }
  copy_fields(L, str, {"byte", "sub", "find"});
  lua_setfield(L, -2, "string");
  lua_pop(L, 1);
}

bool lua_matcher_built(lua_State* L) {
  const bool built = lua_rawgetp(L, LUA_REGISTRYINDEX, &matcher_key) == LUA_TTABLE;
  lua_pop(L, 1);
  return built;
}

void push_kept_lua_matcher(lua_State* L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &matcher_key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &originals_key) != LUA_TTABLE) {
    luaL_error(L, "the pattern matcher's originals were not kept");  // a bug: setup keeps them
  }
  // The table library is opened on a service's first use of it
  // (lua_environment.cpp), so its originals come from a copy of its own,
  // which only the matcher holds.
  if (lua_getfield(L, -1, "table") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushcfunction(L, luaopen_table);
    lua_call(L, 0, 1);
    lua_setfield(L, -2, "table");
  } else {
    lua_pop(L, 1);
  }
  push_lua_matcher(L, -1);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &matcher_key);
}

std::size_t lua_matcher_source_bytes() { return std::strlen(matcher_source); }

}  // namespace solo
