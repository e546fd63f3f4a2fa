// LuaChunkSource: the chunks of the sandboxes' block pools, mapped a region
// at a time and reused when a pool closes.
#include "engine/sandbox/lua_chunk_source.hpp"
#include "engine/sandbox/lua_block_pool.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

using solo::LuaBlockPool;
using solo::LuaChunkSource;

BOOST_AUTO_TEST_SUITE(lua_chunk_source)

BOOST_AUTO_TEST_CASE(chunks_are_distinct_usable_and_come_back_to_their_size) {
  std::vector<std::pair<char*, std::size_t>> taken;
  std::set<char*> seen;
  // More than a region's worth, in every size, so that regions follow one another.
  for (int round = 0; round < 12; ++round) {
    for (std::size_t size = LuaChunkSource::smallest; size <= LuaChunkSource::largest; size *= 2) {
      auto* chunk = static_cast<char*>(LuaChunkSource::take(size));
      BOOST_REQUIRE(chunk != nullptr);
      BOOST_TEST(reinterpret_cast<std::uintptr_t>(chunk) % 16 == 0);
      std::memset(chunk, 0x5A, size);  // the whole chunk is writable
      for (const auto& [other, other_size] : taken) {
        BOOST_REQUIRE((chunk + size <= other || other + other_size <= chunk));  // no overlap
      }
      taken.emplace_back(chunk, size);
    }
  }
  // A chunk given back serves the next request of its size.
  auto [chunk, size] = taken.back();
  LuaChunkSource::give_back(chunk, size);
  BOOST_TEST(LuaChunkSource::take(size) == chunk);
  for (const auto& [c, s] : taken) LuaChunkSource::give_back(c, s);
}

BOOST_AUTO_TEST_CASE(sizes_it_does_not_serve_are_refused) {
  BOOST_TEST(LuaChunkSource::take(0) == nullptr);
  BOOST_TEST(LuaChunkSource::take(LuaChunkSource::smallest + 16) == nullptr);
  BOOST_TEST(LuaChunkSource::take(LuaChunkSource::largest * 2) == nullptr);
  BOOST_TEST(LuaChunkSource::take(LuaChunkSource::smallest / 2) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_closed_pools_chunks_serve_the_next_pool) {
  char* first = nullptr;
  {
    LuaBlockPool pool(1u << 20);
    first = static_cast<char*>(pool.allocate(64));
    BOOST_REQUIRE(first != nullptr);
  }
  LuaBlockPool next(1u << 20);
  auto* block = static_cast<char*>(next.allocate(64));
  BOOST_REQUIRE(block != nullptr);
  // The same 16 KiB chunk (its free lists first, then the block).
  BOOST_TEST(static_cast<void*>(block) == static_cast<void*>(first));  // pointers, not C strings
}

BOOST_AUTO_TEST_CASE(past_32_mib_of_free_chunks_their_pages_go_back_to_the_os) {
  // 40 MiB of chunks, every page written, then all given back: at most
  // 32 MiB stay resident, so the last ones given back are not.
  const std::size_t size = LuaChunkSource::largest;
  std::vector<char*> chunks;
  for (std::size_t taken = 0; taken < (40u << 20); taken += size) {
    auto* chunk = static_cast<char*>(LuaChunkSource::take(size));
    BOOST_REQUIRE(chunk != nullptr);
    std::memset(chunk, 0x77, size);
    chunks.push_back(chunk);
  }
  for (char* chunk : chunks) LuaChunkSource::give_back(chunk, size);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident(size / page);
  BOOST_REQUIRE(mincore(chunks.back(), size, resident.data()) == 0);
  std::size_t pages = 0;
  for (unsigned char r : resident) pages += r & 1;
  BOOST_TEST(pages <= 1u);  // the first page holds the free list's link
}

BOOST_AUTO_TEST_CASE(pools_on_several_threads_share_the_source) {
  auto work = [] {
    for (int i = 0; i < 200; ++i) {
      LuaBlockPool pool(1u << 20);
      for (int j = 0; j < 400; ++j) {
        auto* p = static_cast<char*>(pool.allocate(200));
        if (p == nullptr) break;
        std::memset(p, j, 200);
      }
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  BOOST_TEST(LuaChunkSource::take(LuaChunkSource::smallest) != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
