// LuaChunkSource: where the LuaBlockPools of every sandbox take their chunks.
//
// A pool asks for chunks of 16 KiB doubling to 256 KiB (lua_block_pool.hpp).
// Taken from malloc, a thread other than the main one (the bench's engine, a
// recovery worker) grows its glibc arena by exactly what each request needs,
// one mprotect system call per few pages of a new sandbox: a tenth of the
// engine's CPU in a run of deploys. The source maps regions of 4 MiB at once
// and carves chunks out of them; a pool's chunks come back when its state
// closes and serve the next pool asking for that size. The mapping is kept
// for reuse; the pages of free chunks past 32 MiB go back to the OS
// (MADV_DONTNEED), so memory once used by many more services than now run
// does not stay resident.
//
// Threading: any thread (a mutex; a pool takes a chunk every 16-256 KiB).
#pragma once

#include <cstddef>

namespace solo {

class LuaChunkSource {
 public:
  static constexpr std::size_t smallest = 16 * 1024;
  static constexpr std::size_t largest = 256 * 1024;
  static constexpr std::size_t region = 4 * 1024 * 1024;

  // A chunk of `size` bytes (a power of two from smallest to largest),
  // 16-byte aligned, or nullptr when the OS has no memory to map.
  static void* take(std::size_t size);
  // Gives back a chunk taken with the same size.
  static void give_back(void* chunk, std::size_t size);
};

}  // namespace solo
