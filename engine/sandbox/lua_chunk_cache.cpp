// LuaChunkCache: dumps of compiled service code; see lua_chunk_cache.hpp.
#include "engine/sandbox/lua_chunk_cache.hpp"

#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace solo {

namespace {

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const std::string>, TextHash, std::equal_to<>> dumps;
  std::deque<const std::string*> oldest_first;  // keys of `dumps` (node keys do not move)
  std::size_t bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: sandboxes may be created during static destruction
  return *c;
}

}  // namespace

std::shared_ptr<const std::string> LuaChunkCache::find(std::string_view code) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  auto it = c.dumps.find(code);
  return it == c.dumps.end() ? nullptr : it->second;
}

void LuaChunkCache::keep(std::string_view code, std::string dump) {
  const std::size_t size = code.size() + dump.size();
  if (size > max_bytes / 4) return;
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  auto [it, added] = c.dumps.try_emplace(std::string(code), nullptr);
  if (!added) return;  // compiled meanwhile elsewhere: the same dump
  it->second = std::make_shared<const std::string>(std::move(dump));
  c.oldest_first.push_back(&it->first);
  c.bytes += size;
  while (c.bytes > max_bytes) {
    auto oldest = c.dumps.find(*c.oldest_first.front());
    c.bytes -= oldest->first.size() + oldest->second->size();
    c.oldest_first.pop_front();
    c.dumps.erase(oldest);
  }
}

}  // namespace solo
