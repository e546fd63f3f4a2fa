// LuaBlockPool: size-class blocks for one Lua heap; see lua_block_pool.hpp.
#include "engine/sandbox/lua_block_pool.hpp"

#include <algorithm>
#include <cstdlib>

namespace solo {

LuaBlockPool::~LuaBlockPool() {
  for (const Chunk& chunk : chunks_) std::free(chunk.begin);
}

void* LuaBlockPool::allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (FreeBlock* block = free_[c]) {
    free_[c] = block->next;
    return block;
  }
  const std::size_t bytes = round_up(size);
  if (static_cast<std::size_t>(end_ - next_) < bytes && !grow(bytes)) return nullptr;
  void* block = next_;
  next_ += bytes;
  return block;
}

void LuaBlockPool::release(void* block, std::size_t size) {
  auto* free_block = static_cast<FreeBlock*>(block);
  const std::size_t c = class_of(size);
  free_block->next = free_[c];
  free_[c] = free_block;
}

bool LuaBlockPool::owns(const void* block) const {
  const auto* p = static_cast<const char*>(block);
  // Newest first: the newest chunk is the largest.
  return std::any_of(chunks_.rbegin(), chunks_.rend(),
                     [p](const Chunk& chunk) { return p >= chunk.begin && p < chunk.end; });
}

bool LuaBlockPool::grow(std::size_t at_least) {
  const std::size_t size = std::clamp(reserved_, first_chunk, largest_chunk);
  if (reserved_ + size > budget_ || size < at_least) return false;
  auto* chunk = static_cast<char*>(std::malloc(size));
  if (chunk == nullptr) return false;
  // The old chunk's tail (smaller than the block that did not fit, so at
  // most max_block) serves its own class later instead of being lost.
  if (const auto tail = static_cast<std::size_t>(end_ - next_); tail >= granule) {
    release(next_, tail / granule * granule);
  }
  chunks_.push_back({chunk, chunk + size});
  reserved_ += size;
  next_ = chunk;
  end_ = chunk + size;
  return true;
}

}  // namespace solo
