// LuaBlockPool: size-class blocks for one Lua heap; see lua_block_pool.hpp.
#include "engine/sandbox/lua_block_pool.hpp"

#include "engine/sandbox/lua_chunk_source.hpp"

#include <algorithm>
#include <functional>

// Under AddressSanitizer a block on a free list or not yet handed out is
// poisoned, so that a use after free within one state is still caught although
// the block never goes back to malloc.
#if defined(__SANITIZE_ADDRESS__)
#define SOLO_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOLO_POOL_ASAN 1
#endif
#endif
#ifdef SOLO_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define SOLO_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SOLO_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SOLO_POISON(p, n) ((void)(p), (void)(n))
#define SOLO_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace solo {

LuaBlockPool::~LuaBlockPool() {
  for (const Chunk& chunk : chunks_) {
    SOLO_UNPOISON(chunk.begin, static_cast<std::size_t>(chunk.end - chunk.begin));
    LuaChunkSource::give_back(chunk.begin, static_cast<std::size_t>(chunk.end - chunk.begin));
  }
}

void* LuaBlockPool::allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (FreeBlock* block = free_ != nullptr ? free_[c] : nullptr) {
    SOLO_UNPOISON(block, sizeof(FreeBlock));
    free_[c] = block->next;
    SOLO_UNPOISON(block, round_up(size));  // the whole block: a grow within it stays in place
    return block;
  }
  const std::size_t bytes = round_up(size);
  if (static_cast<std::size_t>(end_ - next_) < bytes && !grow(bytes)) return nullptr;
  void* block = next_;
  next_ += bytes;
  SOLO_UNPOISON(block, bytes);
  return block;
}

void LuaBlockPool::release(void* block, std::size_t size) {
  auto* free_block = static_cast<FreeBlock*>(block);
  const std::size_t c = class_of(size);
  SOLO_UNPOISON(block, sizeof(FreeBlock));
  free_block->next = free_[c];
  free_[c] = free_block;
  SOLO_POISON(block, round_up(size));
}

bool LuaBlockPool::owns(const void* block) const {
  const auto* p = static_cast<const char*>(block);
  // The last chunk that begins at or before p is the only one that can hold it.
  auto after = std::upper_bound(chunks_.begin(), chunks_.end(), p,
                                [](const char* q, const Chunk& chunk) { return std::less<const char*>()(q, chunk.begin); });
  if (after == chunks_.begin()) return false;
  const Chunk& chunk = *(after - 1);
  return !std::less<const char*>()(p, chunk.begin) && std::less<const char*>()(p, chunk.end);
}

bool LuaBlockPool::grow(std::size_t at_least) {
  const std::size_t size = std::clamp(reserved_, first_chunk, largest_chunk);
  if (reserved_ + size > budget_ || size < at_least) return false;
  static_assert(first_chunk == LuaChunkSource::smallest && largest_chunk == LuaChunkSource::largest,
                "every chunk size the pool asks for is one the source serves");
  auto* chunk = static_cast<char*>(LuaChunkSource::take(size));
  if (chunk == nullptr) return false;
  SOLO_POISON(chunk, size);
  char* blocks = chunk;
  if (free_ == nullptr) {  // the first chunk: the free lists at its start
    constexpr std::size_t heads = round_up(classes * sizeof(FreeBlock*));
    static_assert(heads < first_chunk / 4);
    SOLO_UNPOISON(chunk, heads);
    free_ = reinterpret_cast<FreeBlock**>(chunk);
    std::fill_n(free_, classes, nullptr);
    blocks += heads;
  }
  // The old chunk's tail (smaller than the block that did not fit, so at
  // most max_block) serves its own class later instead of being lost.
  if (const auto tail = static_cast<std::size_t>(end_ - next_); tail >= granule) {
    release(next_, tail / granule * granule);
  }
  const Chunk added{chunk, chunk + size};
  chunks_.insert(std::upper_bound(chunks_.begin(), chunks_.end(), added,
                                  [](const Chunk& a, const Chunk& b) { return std::less<char*>()(a.begin, b.begin); }),
                 added);
  reserved_ += size;
  next_ = blocks;
  end_ = chunk + size;
  return true;
}

}  // namespace solo
