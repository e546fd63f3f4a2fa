// LuaBlockPool: the small blocks of one sandbox's Lua heap.
//
// Nearly everything a lua_State allocates is small (strings, closures, table
// headers, upvalues: 16-256 bytes; a fresh sandbox's tables, string table and
// stack: up to 4 KiB), and a fresh sandbox makes ~1000 of them; through malloc
// that was a third of creating one. The pool carves blocks of 16-byte size
// classes out of chunks it takes from the LuaChunkSource (16 KiB, then
// doubling up to 256 KiB; lua_chunk_source.hpp), keeps a free list per class
// and hands every chunk back when the state is closed. Larger blocks are the
// caller's business (malloc).
//
// Memory cap: LuaMeter still counts the bytes Lua asks for, so the cap means
// what it meant. A freed block is reused only for its own class, so a
// service cycling through classes could make the pool hold more than the
// heap it uses: the pool refuses to grow its chunks past `budget` (the
// sandbox's cap) and the caller then takes the block from malloc, so the
// pool adds at most the cap to what the service can pin.
//
// Threading: one pool per lua_State, used by whichever thread runs it.
#pragma once

#include <cstddef>
#include <vector>

namespace solo {

class LuaBlockPool {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t max_block = 4096;  // larger blocks are not pooled
  static constexpr std::size_t first_chunk = 16 * 1024;  // most of a fresh sandbox's small blocks
  static constexpr std::size_t largest_chunk = 256 * 1024;

  explicit LuaBlockPool(std::size_t budget) : budget_(budget) {}
  ~LuaBlockPool();
  LuaBlockPool(const LuaBlockPool&) = delete;
  LuaBlockPool& operator=(const LuaBlockPool&) = delete;

  // A block of at least `size` bytes (1..max_block), or nullptr when another
  // chunk would take the pool past its budget.
  void* allocate(std::size_t size);
  // Gives back a block of this pool that holds at least `size` bytes (the
  // size Lua knows it by; a block shrunk in place is filed under the
  // smaller class, which it covers).
  void release(void* block, std::size_t size);
  // Whether `block` was carved from this pool's chunks.
  bool owns(const void* block) const;
  // Whether a block of `have` bytes of this pool can hold `size` bytes in place.
  static bool fits(std::size_t have, std::size_t size) { return size <= round_up(have); }

  // Bytes taken from the chunk source.
  std::size_t reserved_bytes() const { return reserved_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct Chunk {
    char* begin;
    char* end;
  };
  static constexpr std::size_t round_up(std::size_t size) { return (size + granule - 1) / granule * granule; }
  static std::size_t class_of(std::size_t size) { return (size - 1) / granule; }
  bool grow(std::size_t at_least);

  std::size_t budget_;
  std::size_t reserved_ = 0;
  static constexpr std::size_t classes = max_block / granule;
  // The free list of each class: the first chunk's first bytes (2 KiB), not
  // a part of this object, which malloc would take fresh for each sandbox.
  FreeBlock** free_ = nullptr;
  char* next_ = nullptr;  // the unused tail of the newest chunk
  char* end_ = nullptr;
  // Sorted by address, so owns() is a binary search: every free of a small
  // block asks it, and a heap near its cap has hundreds of chunks (a linear
  // scan made a GC sweep of a large heap a long step nothing can preempt).
  std::vector<Chunk> chunks_;
};

}  // namespace solo
