// The sandbox fuzzer's program generator: composes a random, valid Lua
// service (handle_call) from the whole surface the sandbox exposes, from a
// seed alone (std::mt19937_64), so that a seed reproduces its program. Used
// by lua_sandbox_fuzz_test.cpp, which runs and checks what it generates.
#pragma once

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace solo::test {

// ---------------------------------------------------------------------------
// The generator

// Non-tail recursion until "stack overflow" builds a Lua stack of ~200k
// frames, which the slice watchdog's signal handler walks (lua_sethook): it
// once livelocked the engine thread (now: one signal per deadline).
constexpr const char* deep_recursion = "return 1 + r(n + 1)";

class ProgramGenerator {
 public:
  explicit ProgramGenerator(std::uint64_t seed) : rng_(seed) {}

  // A whole service: handle_call runs a generated body; "ping" answers "pong".
  std::string service() {
    std::string body = prelude() + block(0, 4 + pick(10));
    std::string out =
        "function handle_call(msg, state)\n"
        "  if msg == \"ping\" then return \"pong\", state end\n";
    out += body;
    out += "  return " + reply() + ", state\n";
    out += "end\n";
    return out;
  }

 private:
  std::mt19937_64 rng_;
  bool in_f_ = false;  // generating F's body

  // Not yet charged up front on this branch: string.rep's loop runs `count`
  // times even for an empty string (string.rep("", 3e9) takes seconds).
  std::string rep_count() {
    std::string n = size();
    return n;
  }

  std::uint64_t pick(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  // A Lua string literal: printable ASCII as is, every other byte as \ddd.
  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c >= 32 && c < 127) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\%03d", static_cast<int>(c));
        out += buf;
      }
    }
    return out + "\"";
  }

  // The variables every statement may use, declared up front.
  std::string prelude() {
    std::string out = "  local S, S2, N, T, T2, MT, F, CO = '', '', 0, {}, {}, {}, nil, nil\n";
    out += "  local V = {}\n";
    out += "  pcall(function() S = " + str_expr(1) + " end)\n";
    out += "  pcall(function() S2 = " + str_expr(1) + " end)\n";
    out += "  pcall(function() N = " + size() + " end)\n";
    out += "  pcall(function() T = " + table_ctor(1) + " end)\n";
    out += "  pcall(function() T2 = " + table_ctor(1) + " end)\n";
    out += "  pcall(function() MT = " + metatable(1) + " end)\n";
    in_f_ = true;
    out += "  F = " + function_expr(1) + "\n";
    in_f_ = false;
    out += "  V = {S, N, T}\n";
    return out;
  }

  std::string reply() {
    switch (pick(8)) {
      case 0: return "S";
      case 1: return "N";
      case 2: return "T";
      case 3: return "#S";
      case 4: return "{S2, N}";
      default: return "\"ok\"";
    }
  }

  // ---- sizes and numbers

  std::string size() {
    const int r = static_cast<int>(pick(100));
    if (r < 40) return std::to_string(pick(65));
    if (r < 75) {
      const int k = static_cast<int>(pick(25));
      const std::int64_t p = std::int64_t{1} << k;
      switch (pick(3)) {
        case 0: return std::to_string(p);
        case 1: return std::to_string(p + 1);
        default: return std::to_string(p - 1);
      }
    }
    static const std::vector<std::string> odd = {
        "1e9",          "math.maxinteger", "math.mininteger", "-1",          "-2",         "-(1<<20)",
        "3e9",          "16*1024*1024",    "8*1024*1024",     "16*1024*1024+1", "(1<<31)", "(1<<32)+1",
        "2^53",         "2^63",            "0.5",             "1/0",         "-1/0",       "0/0",
        "math.huge",    "(1<<30)",         "4*1024*1024-1",   "#S",          "N",          "#T",
        "N*2",          "-N",              "(1<<62)",         "1e308",       "2^31-1",     "65536"};
    return one_of(odd);
  }

  std::string num_expr(int depth) {
    if (depth > 3) return size();
    switch (pick(16)) {
      case 0: return "#S";
      case 1: return "(tonumber(" + str_expr(depth + 1) + ") or 0)";
      case 2: return "select('#', table.unpack(T, 1, " + size() + "))";
      case 3: return "(string.byte(S, " + size() + ") or -1)";
      case 4: return "(utf8.len(S) or -1)";
      case 5: return "math." + one_of<std::string>({"floor", "ceil", "abs", "tointeger", "sqrt", "exp", "log"}) +
                     "(" + size() + ")";
      case 6: return "math." + one_of<std::string>({"max", "min", "fmod", "ult", "atan"}) + "(" + size() + ", " +
                     size() + ")";
      case 7: return "(" + num_expr(depth + 1) + " " + one_of<std::string>({"+", "-", "*", "//", "%", "/", "^", "<<", ">>", "&", "|", "~"}) +
                     " " + num_expr(depth + 1) + ")";
      case 8: return "string.packsize(" + quote(pack_format()) + ")";
      case 9: return "math.random(" + size() + ")";
      case 10: return "os.time()";
      case 11: return "os.clock()";
      case 12: return "#T";
      case 13: return "collectgarbage('count')";
      default: return size();
    }
  }

  // ---- strings

  std::string raw_string(int max_len) {
    static const std::string chars = "abcxyzABC012 \t\n%()[]^$*+-?.,;_\"'\\";
    std::string s;
    const int len = static_cast<int>(pick(static_cast<std::uint64_t>(max_len) + 1));
    for (int i = 0; i < len; ++i) {
      const int r = static_cast<int>(pick(10));
      if (r == 0) s += '\0';
      else if (r == 1) s += static_cast<char>(128 + pick(128));  // bytes of (broken) UTF-8
      else s += chars[pick(chars.size())];
    }
    return s;
  }

  std::string str_lit() { return quote(raw_string(chance(0.2) ? 40 : 8)); }

  std::string str_expr(int depth) {
    if (depth > 3) return chance(0.5) ? str_lit() : "S";
    switch (pick(22)) {
      case 0: return "S";
      case 1: return "S2";
      case 2: return "string.rep(" + str_expr(depth + 1) + ", " + rep_count() + ")";
      case 3: return "string.rep(" + str_lit() + ", " + rep_count() + ", " + str_lit() + ")";
      case 4: return "(" + str_expr(depth + 1) + " .. " + str_expr(depth + 1) + ")";
      case 5: return "string." + one_of<std::string>({"upper", "lower", "reverse"}) + "(" + str_expr(depth + 1) + ")";
      case 6: return "string.sub(" + str_expr(depth + 1) + ", " + size() + ", " + size() + ")";
      case 7: return "string.char(" + byte_list() + ")";
      case 8: return "tostring(" + any_expr(depth + 1) + ")";
      case 9: return "table.concat(T, " + str_lit() + ", " + size() + ", " + size() + ")";
      case 10: return "string.format(" + format_call(depth + 1) + ")";
      case 11: return "utf8.char(" + codepoint_list() + ")";
      case 12: return "string.pack(" + quote(pack_format()) + ", " + size() + ", " + size() + ")";
      case 13: return "(string.gsub(" + str_expr(depth + 1) + ", " + quote(pattern()) + ", " + gsub_repl() + "))";
      case 14: return "(string.match(" + str_expr(depth + 1) + ", " + quote(pattern()) + ") or '')";
      case 15: return "solo.json.encode(" + any_expr(depth + 1) + ")";
      case 16: return "os.date(" + quote(one_of<std::string>({"%c", "!%Y-%m-%d", "*t", "%x%X%p", "%Ez", "%"})) + ")";
      case 17: return "(S):sub(" + size() + ")";
      case 18: return "S:rep(" + rep_count() + ")";
      default: return str_lit();
    }
  }

  std::string byte_list() {
    std::string out;
    const int n = static_cast<int>(pick(6));
    for (int i = 0; i < n; ++i) {
      if (i) out += ", ";
      out += chance(0.9) ? std::to_string(pick(256)) : size();
    }
    return out;
  }

  std::string codepoint_list() {
    std::string out;
    const int n = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < n; ++i) {
      if (i) out += ", ";
      switch (pick(4)) {
        case 0: out += std::to_string(pick(128)); break;
        case 1: out += std::to_string(pick(0x110000)); break;
        case 2: out += "0x7FFFFFFF"; break;
        default: out += size();
      }
    }
    return out;
  }

  std::string format_call(int depth) {
    static const std::vector<std::string> specs = {"%d", "%5.2f", "%s", "%q", "%x", "%99d", "%a", "%i", "%c",
                                                   "%g", "%-10s", "%%", "%099.99f", "%.99s", "%X", "%o", "%e", "%u",
                                                   "%10q", "%"};
    std::string f;
    std::string args;
    const int n = static_cast<int>(pick(4));
    for (int i = 0; i < n; ++i) {
      f += one_of(specs) + raw_string(2);
      args += ", " + (chance(0.5) ? any_expr(depth + 1) : size());
    }
    return quote(f) + args;
  }

  std::string pack_format() {
    static const std::vector<std::string> items = {"i4", "s1", "z", "<i8", "d", "j", "xi16", "!8", "i17", "b",  "B",
                                                   "h",  ">I3", "s", "f", "n", "x", "Xi8", "=", "c5", "c", "i0", "T"};
    std::string f;
    const int n = 1 + static_cast<int>(pick(3));
    for (int i = 0; i < n; ++i) f += one_of(items);
    return f;
  }

  // ---- patterns

  std::string pattern_item(int depth) {
    static const std::vector<std::string> classes = {".",  "%a", "%d", "%s", "%w", "%p", "%x", "%c", "%l", "%u",
                                                     "%g", "a",  "b",  std::string(1, '\0'), "%%", "%.", "x", "%z", "%A", "%S"};
    static const std::vector<std::string> sets = {"[a-z]", "[^%d]", "[%a_]", "[%]]", "[^]", "[]", "[a-]", "[%w%s]",
                                                  std::string("[\0-\xff]", 5), std::string("[^\0]", 4), "[-]", "[%", "["};
    static const std::vector<std::string> quantifiers = {"", "", "*", "+", "-", "?"};
    switch (pick(12)) {
      case 0: return "%b" + std::string(1, "()[]{}ab"[pick(8)]) + std::string(1, "()[]{}ab"[pick(8)]);
      case 1: return "%f" + one_of(sets);
      case 2:
        if (depth < 3) return "(" + pattern_body(depth + 1) + ")";
        return "()";
      case 3: return "%" + std::to_string(1 + pick(3));  // back-reference (maybe invalid)
      case 4: return "()";
      case 5:
      case 6: return one_of(sets) + one_of(quantifiers);
      default: return one_of(classes) + one_of(quantifiers);
    }
  }

  std::string pattern_body(int depth) {
    std::string p;
    const int n = 1 + static_cast<int>(pick(6));
    for (int i = 0; i < n; ++i) p += pattern_item(depth);
    return p;
  }

  // The pattern itself (the caller quotes it).
  std::string pattern() {
    std::string p = chance(0.2) ? "^" : "";
    p += pattern_body(0);
    if (chance(0.2)) p += "$";
    if (chance(0.05)) p = std::string(1 + pick(60), '(') + "a" ;  // too many captures / malformed
    if (chance(0.05)) {
      std::string q;
      for (int i = 0; i < 20; ++i) q += "a*";
      p = q + "b";  // the classic backtracking pattern
    }
    return p;
  }

  std::string gsub_repl() {
    switch (pick(5)) {
      case 0: return quote("%0%1" + raw_string(3));
      case 1: return "T";
      case 2: return "function(...) " + small_block(3) + " return " + str_expr(3) + " end";
      case 3: return "{}";
      default: return quote(raw_string(5));
    }
  }

  // ---- tables, functions, metatables

  std::string table_ctor(int depth) {
    std::string out = "{";
    const int n = static_cast<int>(pick(6));
    for (int i = 0; i < n; ++i) {
      if (i) out += ", ";
      switch (pick(4)) {
        case 0: out += str_lit(); break;
        case 1: out += std::to_string(pick(100)); break;
        case 2: out += "x" + std::to_string(pick(4)) + " = " + (depth < 3 ? any_expr(depth + 1) : "1"); break;
        default: out += depth < 3 ? any_expr(depth + 1) : "0";
      }
    }
    return out + "}";
  }

  std::string metamethod_body(int depth) {
    switch (pick(6)) {
      case 0: return "while true do end";
      case 1: return "error(" + str_lit() + ")";
      case 2: return "for i = 1, " + size() + " do local _ = S .. i end";
      default: return depth < 3 ? small_block(depth + 1) : "";
    }
  }

  std::string metatable(int depth) {
    std::string out = "{";
    static const std::vector<std::string> events = {"__index", "__newindex", "__lt", "__le",       "__eq",
                                                    "__concat", "__len",      "__call", "__close",   "__tostring",
                                                    "__add",   "__unm",      "__name", "__metatable", "__mode"};
    const int n = static_cast<int>(pick(7));
    for (int i = 0; i < n; ++i) {
      const std::string& e = one_of(events);
      out += e + " = ";
      if (e == "__name" || e == "__metatable") out += str_lit();
      else if (e == "__mode") out += quote(one_of<std::string>({"k", "v", "kv"}));
      else if (e == "__index" && chance(0.3)) out += "T2";
      else {
        out += "function(a, b, ...) " + metamethod_body(depth) + " return " +
               one_of<std::string>({"a", "b", "true", "false", "S", "N", "nil", "#S"}) + " end";
      }
      out += ", ";
    }
    return out + "}";
  }

  std::string function_expr(int depth) {
    return "function(...) " + (depth < 3 ? small_block(depth + 1) : std::string()) + " return ... end";
  }

  std::string any_expr(int depth) {
    if (depth > 3) return one_of<std::string>({"S", "N", "T", "nil", "true", "F"});
    switch (pick(9)) {
      case 0: return str_expr(depth + 1);
      case 1: return num_expr(depth + 1);
      case 2: return "T";
      case 3: return "T2";
      case 4: return "F";
      case 5: return "nil";
      case 6: return "V[" + std::to_string(1 + pick(4)) + "]";
      case 7: return "setmetatable({}, MT)";
      default: return "S";
    }
  }

  // ---- statements

  std::string small_block(int depth) { return block(depth, 1 + pick(3)); }

  std::string block(int depth, std::uint64_t n) {
    std::string out;
    for (std::uint64_t i = 0; i < n; ++i) out += statement(depth) + "\n";
    return out;
  }

  std::string loop_body(int depth) { return depth < 4 ? small_block(depth + 1) : "local _ = N"; }

  std::string statement(int depth) {
    std::string s = raw_statement(depth);
    // Most statements are protected, so the program goes on after an error.
    const int r = static_cast<int>(pick(10));
    if (r < 5) return "pcall(function() " + s + " end)";
    if (r < 6) return "xpcall(function() " + s + " end, function(m) " +
                      (chance(0.2) ? std::string("while true do end") : std::string("return m")) + " end)";
    return "do " + s + " end";
  }

  std::string raw_statement(int depth) {
    if (depth > 5) return "N = #S";
    switch (pick(40)) {
      // strings
      case 0: return "S = " + str_expr(depth);
      case 1: return "S2 = " + str_expr(depth);
      case 2: return "S = string.rep(S, " + rep_count() + ")";
      case 3: return "local a, b, c = string.find(S, " + quote(pattern()) + ", " + size() + ", " +
                     (chance(0.3) ? "true" : "false") + ")";
      case 4: return "for a, b in string.gmatch(S, " + quote(pattern()) + ") do " + loop_body(depth) + " end";
      case 5: return "S = string.gsub(S, " + quote(pattern()) + ", " + gsub_repl() + ", " +
                     (chance(0.5) ? size() : "nil") + ")";
      case 6: return "local t = {string.byte(S, " + size() + ", " + size() + ")} N = #t";
      case 7: return "local v = {string.unpack(" + quote(pack_format()) + ", S, " + size() + ")}";
      case 8: return "S = string.format(" + format_call(depth) + ")";
      // numbers, conversions, varargs
      case 9: return "N = " + num_expr(depth);
      case 10: return "N = select(" + size() + ", table.unpack(V))";
      case 11: return "local n = tonumber(S, " + one_of<std::string>({"2", "10", "16", "36", "37", "1", "nil"}) + ")";
      // tables
      case 12: return "table.insert(T, " + any_expr(depth) + ")";
      case 13: return "table.insert(T, " + size() + ", " + any_expr(depth) + ")";
      case 14: return "table.remove(T" + (chance(0.5) ? ", " + size() : std::string()) + ")";
      case 15: {
        // table.move's up-front charge (one instruction an element) lets
        // 16M elements through: ~330 ms in one call on this branch.
        const std::string f = size();
        std::string e = size();
        return "table.move(T, " + f + ", " + e + ", " + size() + ", " + (chance(0.5) ? "T2" : "T") + ")";
      }
      case 16: return "local v = {table.unpack(T, " + size() + ", " + size() + ")}";
      case 17: return "table.sort(T" + (chance(0.6) ? ", function(a, b) " + metamethod_body(depth) + " return " +
                                                         one_of<std::string>({"true", "false", "a < b", "tostring(a) > tostring(b)"}) + " end"
                                                   : std::string()) + ")";
      case 18: return "for i = 1, " + size() + " do T[i] = " + any_expr(depth) + " end";
      case 19: return "S = table.concat(T, " + str_lit() + ")";
      // loops
      case 20: return "for i = 1, " + size() + " do " + loop_body(depth) + " end";
      case 21: return "while true do " + loop_body(depth) + " end";
      case 22: return "local i = 0 repeat i = i + 1 " + loop_body(depth) + " until i > " + size();
      case 23: return "for i = " + size() + ", " + size() + ", " + one_of<std::string>({"1", "-1", "2", "N", "1e9"}) +
                      " do " + loop_body(depth) + " end";
      // errors, load
      case 24: return "error(" + any_expr(depth) + ", " + std::to_string(pick(3)) + ")";
      case 25: return "local f = load(" + quote(chunk_text(depth)) + ") if f then f() end";
      case 26: {
        std::string n = size();
        return "local f = load(string.rep(" + quote(one_of<std::string>({"(", "x = 1 ", "{", "a..", "--[[", "return "})) +
               ", " + n + "))  if f then pcall(f) end";
      }
      case 27:
        if (chance(0.5)) {
          return "local function r(n) " + std::string(deep_recursion) + " end r(0)";
        }
        return "local function r(n) return r(n + 1) end r(0)";
      case 28: return "assert(" + any_expr(depth) + ", " + str_lit() + ")";
      // coroutines
      case 29: return "CO = coroutine.create(function(...) " + coroutine_body(depth) + " end)";
      case 30: {
        // F resuming new coroutines of F: a tree of nested coroutines.
        std::string body = "F";
        return "for i = 1, " + size() + " do local ok, v = coroutine.resume(CO or coroutine.create(" + body + "), " +
               any_expr(depth) + ") if not ok then break end end";
      }
      case 31: return "local w = coroutine.wrap(function(...) " + coroutine_body(depth) + " end) for i = 1, " + size() +
                      " do w(i) end";
      case 32: return one_of<std::string>({"coroutine.close(CO)", "N = #coroutine.status(CO)", "S = tostring(coroutine.isyieldable())",
                                           "local co, main = coroutine.running() S = tostring(main)", "coroutine.yield(" + size() + ")",
                                           "CO = coroutine.running() coroutine.resume(CO)"});
      // metatables
      case 33: return "MT = " + metatable(depth) + " setmetatable(T, MT)";
      case 34: return metamethod_use(depth);
      case 35: return "setmetatable(T2, {__gc = function() while true do end end})";
      // os, solo
      case 36: return "N = os.time(" + (chance(0.5) ? std::string() : "{year = " + size() + ", month = " + size() + ", day = 1}") + ")";
      case 37: return "solo.log(" + quote(one_of<std::string>({"debug", "info", "warn", "error", "bogus"})) + ", " +
                      any_expr(depth) + ", " + any_expr(depth) + ")";
      case 38: return one_of<std::string>({"local v = solo.json.decode(S)", "S = solo.json.encode(T)", "N = solo.now()",
                                           "local r = solo.call(\"other\", {x = N})", "solo.emit(\"k\", {s = S})",
                                           "print(S, N, T)"});
      default: return utf8_statement(depth);
    }
  }

  std::string utf8_statement(int depth) {
    (void)depth;
    switch (pick(5)) {
      case 0: return "for p, c in utf8.codes(S) do N = c end";
      case 1: return "N = utf8.codepoint(S, " + size() + ", " + size() + ")";
      case 2: return "N = utf8.offset(S, " + size() + ", " + size() + ")";
      case 3: return "N = (utf8.len(S, " + size() + ", " + size() + ", " + (chance(0.5) ? "true" : "false") + ") or 0)";
      default: return "S = string.match(S, utf8.charpattern) or S";
    }
  }

  std::string coroutine_body(int depth) {
    switch (pick(4)) {
      case 0: return "while true do coroutine.yield(...) end";
      case 1: return "for i = 1, " + size() + " do " + loop_body(depth) + " coroutine.yield(i) end";
      case 2: return "local x <close> = setmetatable({}, MT) " + loop_body(depth) + " coroutine.yield()";
      default: return loop_body(depth) + " coroutine.yield(coroutine.isyieldable())";
    }
  }

  std::string metamethod_use(int depth) {
    const std::string o = chance(0.5) ? "setmetatable({}, MT)" : "T";
    switch (pick(11)) {
      case 0: return "local v = " + o + ".x";
      case 1: return "local t = " + o + " t.y = " + any_expr(depth);
      case 2: return "local v = " + o + " < T2";
      case 3: return "local v = " + o + " <= T2";
      case 4: return "local v = " + o + " == setmetatable({}, MT)";
      case 5: return "S = " + o + " .. S";
      case 6: return "N = #" + o;
      case 7: return "local v = " + o + "(" + any_expr(depth) + ")";
      case 8: return "local c <close> = " + o + " " + loop_body(depth);
      case 9: return "S = tostring(" + o + ")";
      default: return "local t = {" + o + ", " + o + ", T} table.sort(t) S = table.concat({" + o + "})";
    }
  }

  // Lua text for load(): its own locals, then a few statements.
  std::string chunk_text(int depth) {
    if (chance(0.1)) return raw_string(20);  // usually not Lua: load returns nil, msg
    std::string out = "local S, S2, N, T, T2, MT, F, CO, V = 'ab', 'cd', 3, {1, 2}, {}, {}, print, nil, {} ";
    out += depth < 3 ? small_block(depth + 2) : std::string("N = 1");
    return out;
  }
};

}  // namespace solo::test
