// LuaChunkCache: dumps of compiled service code; see lua_chunk_cache.hpp.
#include "engine/sandbox/lua_chunk_cache.hpp"

#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace solo {

namespace {

// (tenant, text), looked up by views of both.
using Key = std::pair<std::string, std::string>;
using KeyView = std::pair<std::string_view, std::string_view>;

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(KeyView key) const {
    const std::size_t h = std::hash<std::string_view>()(key.second);
    return h ^ (std::hash<std::string_view>()(key.first) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
  std::size_t operator()(const Key& key) const { return (*this)(KeyView(key.first, key.second)); }
};

struct KeyEqual {
  using is_transparent = void;
  static KeyView view(const Key& key) { return {key.first, key.second}; }
  static KeyView view(KeyView key) { return key; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const { return view(a) == view(b); }
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<Key, std::shared_ptr<const std::string>, KeyHash, KeyEqual> dumps;
  std::deque<const Key*> oldest_first;  // keys of `dumps` (node keys do not move)
  std::size_t bytes = 0;
};

std::size_t bytes_of(const Key& key, const std::string& dump) {
  return key.first.size() + key.second.size() + dump.size();
}

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: sandboxes may be created during static destruction
  return *c;
}

}  // namespace

std::shared_ptr<const std::string> LuaChunkCache::find(std::string_view tenant, std::string_view code) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  auto it = c.dumps.find(KeyView(tenant, code));
  return it == c.dumps.end() ? nullptr : it->second;
}

void LuaChunkCache::keep(std::string_view tenant, std::string_view code, std::string dump) {
  if (tenant.size() + code.size() + dump.size() > max_bytes / 4) return;
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  if (c.dumps.find(KeyView(tenant, code)) != c.dumps.end()) return;  // compiled meanwhile elsewhere
  auto [it, added] = c.dumps.emplace(Key(tenant, code), std::make_shared<const std::string>(std::move(dump)));
  c.oldest_first.push_back(&it->first);
  c.bytes += bytes_of(it->first, *it->second);
  while (c.bytes > max_bytes) {
    auto oldest = c.dumps.find(*c.oldest_first.front());
    c.bytes -= bytes_of(oldest->first, *oldest->second);
    c.oldest_first.pop_front();
    c.dumps.erase(oldest);
  }
}

}  // namespace solo
