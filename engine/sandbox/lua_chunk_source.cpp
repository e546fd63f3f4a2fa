// LuaChunkSource: chunks for the sandboxes' block pools; see lua_chunk_source.hpp.
#include "engine/sandbox/lua_chunk_source.hpp"

#include <sys/mman.h>

#include <array>
#include <bit>
#include <mutex>

namespace solo {

namespace {

constexpr std::size_t kClasses =
    static_cast<std::size_t>(std::countr_zero(LuaChunkSource::largest) - std::countr_zero(LuaChunkSource::smallest)) + 1;

struct FreeChunk {
  FreeChunk* next;
};

// Free chunks whose pages are kept resident, at most this many bytes: what a
// burst of closes and creates reuses without faulting pages in again. Past
// it a chunk's pages go back to the OS (MADV_DONTNEED; the mapping stays for
// reuse), so a server that once ran many more services does not keep their
// memory resident.
constexpr std::size_t kWarmBytes = 32u << 20;

struct Source {
  std::mutex mutex;
  std::array<FreeChunk*, kClasses> warm{};  // pages resident
  std::array<FreeChunk*, kClasses> cold{};  // pages given back (but the first, holding `next`)
  std::size_t warm_bytes = 0;
  char* next = nullptr;  // the unused rest of the newest region
  char* end = nullptr;
};

Source& source() {
  static Source* s = new Source;  // never destroyed: pools may close during static destruction
  return *s;
}

std::size_t class_of(std::size_t size) {
  return static_cast<std::size_t>(std::countr_zero(size) - std::countr_zero(LuaChunkSource::smallest));
}

bool valid(std::size_t size) {
  return std::has_single_bit(size) && size >= LuaChunkSource::smallest && size <= LuaChunkSource::largest;
}

}  // namespace

void* LuaChunkSource::take(std::size_t size) {
  if (!valid(size)) return nullptr;
  Source& s = source();
  std::lock_guard lock(s.mutex);
  const std::size_t c = class_of(size);
  if (FreeChunk* chunk = s.warm[c]) {
    s.warm[c] = chunk->next;
    s.warm_bytes -= size;
    return chunk;
  }
  if (FreeChunk* chunk = s.cold[c]) {
    s.cold[c] = chunk->next;
    return chunk;
  }
  if (static_cast<std::size_t>(s.end - s.next) < size) {
    // The rest of the old region (a multiple of `smallest`, since every
    // chunk is) serves the smallest class rather than being lost.
    while (static_cast<std::size_t>(s.end - s.next) >= smallest) {
      auto* rest = reinterpret_cast<FreeChunk*>(s.next);  // never touched: cold
      rest->next = s.cold[0];
      s.cold[0] = rest;
      s.next += smallest;
    }
    void* mapped = mmap(nullptr, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return nullptr;
    s.next = static_cast<char*>(mapped);
    s.end = s.next + region;
  }
  // Carved in the order asked for: every size is a multiple of 16 KiB, so
  // every chunk starts on a page of the page-aligned region.
  void* chunk = s.next;
  s.next += size;
  // Every sandbox fills its first two chunks (16 KiB each; a fresh one's heap
  // is ~30 KiB): their pages are faulted in by one system call rather than
  // a trap each (~5% of creating a sandbox). Larger chunks may stay partly
  // unused, so they fault in as touched. (Before Linux 5.14 this fails
  // harmlessly.)
  if (size == smallest) madvise(chunk, size, MADV_POPULATE_WRITE);
  return chunk;
}

void LuaChunkSource::give_back(void* chunk, std::size_t size) {
  if (chunk == nullptr || !valid(size)) return;
  Source& s = source();
  std::lock_guard lock(s.mutex);
  auto* free_chunk = static_cast<FreeChunk*>(chunk);
  const std::size_t c = class_of(size);
  if (s.warm_bytes + size <= kWarmBytes) {
    free_chunk->next = s.warm[c];
    s.warm[c] = free_chunk;
    s.warm_bytes += size;
    return;
  }
  madvise(chunk, size, MADV_DONTNEED);  // reads as zeros when used again
  free_chunk->next = s.cold[c];
  s.cold[c] = free_chunk;
}

}  // namespace solo
