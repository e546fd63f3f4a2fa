// LuaBlockPool and the sandbox allocator over it (LuaMeter::allocate): the
// small blocks of a Lua heap, the cap counted as before, the pool bounded.
#include "engine/sandbox/lua_block_pool.hpp"
#include "engine/sandbox/lua_meter.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SOLO_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOLO_TEST_ASAN 1
#endif
#endif
#ifdef SOLO_TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

using solo::LuaBlockPool;
using solo::LuaLimits;
using solo::LuaMeter;

namespace {

bool aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_block_pool)

BOOST_AUTO_TEST_CASE(blocks_are_distinct_aligned_and_owned) {
  LuaBlockPool pool(16u << 20);  // one block of every size up to max_block: ~8 MiB
  std::set<char*> seen;
  for (std::size_t size = 1; size <= LuaBlockPool::max_block; ++size) {
    auto* p = static_cast<char*>(pool.allocate(size));
    BOOST_REQUIRE(p != nullptr);
    BOOST_TEST(aligned(p));
    BOOST_TEST(pool.owns(p));
    std::memset(p, 0xAB, size);  // the whole block is usable
    BOOST_TEST(seen.insert(p).second);
  }
  void* foreign = std::malloc(32);
  BOOST_TEST(!pool.owns(foreign));
  std::free(foreign);
}

BOOST_AUTO_TEST_CASE(a_released_block_serves_its_class_again) {
  LuaBlockPool pool(1u << 20);
  void* a = pool.allocate(40);  // class 33..48
  pool.release(a, 40);
  BOOST_TEST(pool.allocate(48) == a);
  // A block shrunk in place is filed under the smaller class it still covers.
  void* b = pool.allocate(200);
  pool.release(b, 20);
  BOOST_TEST(pool.allocate(32) == b);
}

BOOST_AUTO_TEST_CASE(the_pool_never_grows_past_its_budget) {
  const std::size_t budget = 64 * 1024;
  LuaBlockPool pool(budget);
  std::size_t blocks = 0;
  while (pool.allocate(64) != nullptr) ++blocks;
  BOOST_TEST(pool.reserved_bytes() <= budget);
  BOOST_TEST(blocks * 64 > budget / 2);  // chunks double: most of the budget is used
}

BOOST_AUTO_TEST_CASE(the_cap_counts_what_lua_asks_for_and_cycling_classes_stays_bounded) {
  // A heap that fills its cap with blocks of one size, frees them, and does
  // it again with the next size: freed blocks serve only their class, so
  // without a bound the pool would hold ~16 caps. The cap still lets each
  // round allocate as much as the first (it counts the bytes Lua asks for),
  // and the pool stays within the cap (the rest comes from malloc and goes
  // back to it).
  LuaLimits limits;
  limits.memory_bytes = 256 * 1024;
  LuaMeter meter(limits);
  std::vector<void*> blocks;
  for (std::size_t size = 16; size <= LuaBlockPool::max_block; size += 16) {
    std::size_t got = 0;
    while (void* p = LuaMeter::allocate(&meter, nullptr, 0, size)) {
      blocks.push_back(p);
      got += size;
    }
    BOOST_TEST(got + size > limits.memory_bytes, "size " << size << ": only " << got << " bytes");
    BOOST_TEST(meter.bytes() <= limits.memory_bytes);
    for (void* p : blocks) LuaMeter::allocate(&meter, p, size, 0);
    blocks.clear();
    BOOST_TEST(meter.bytes() == 0u);
  }
  BOOST_TEST(meter.pool_bytes() <= limits.memory_bytes);
}

BOOST_AUTO_TEST_CASE(blocks_grow_and_shrink_across_the_pool_and_malloc_keeping_their_bytes) {
  LuaLimits limits;
  LuaMeter meter(limits);
  auto* p = static_cast<unsigned char*>(LuaMeter::allocate(&meter, nullptr, 0, 24));
  for (int i = 0; i < 24; ++i) p[i] = static_cast<unsigned char>(i);
  p = static_cast<unsigned char*>(LuaMeter::allocate(&meter, p, 24, 100));  // to a larger class
  p = static_cast<unsigned char*>(LuaMeter::allocate(&meter, p, 100, 5000));  // to malloc
  p = static_cast<unsigned char*>(LuaMeter::allocate(&meter, p, 5000, 40));  // a malloc block stays one
  for (int i = 0; i < 24; ++i) BOOST_REQUIRE(p[i] == i);
  BOOST_TEST(meter.bytes() == 40u);
  LuaMeter::allocate(&meter, p, 40, 0);
  BOOST_TEST(meter.bytes() == 0u);
  // The small block malloc gave (the shrink) went back to malloc, not onto
  // the pool's free list, where the next block of its class would come from.
  void* next = LuaMeter::allocate(&meter, nullptr, 0, 40);
  BOOST_TEST(next != static_cast<void*>(p));
  LuaMeter::allocate(&meter, next, 40, 0);
}

#ifdef SOLO_TEST_ASAN
// Only in the AddressSanitizer build (make test-asan): a block back on its
// free list, or not handed out yet, is poisoned, so a use after free inside
// one Lua state is caught although the block never returns to malloc.
BOOST_AUTO_TEST_CASE(under_asan_a_released_block_is_poisoned_and_a_handed_out_one_is_not) {
  LuaBlockPool pool(1u << 20);
  auto* block = static_cast<char*>(pool.allocate(40));
  BOOST_TEST(!__asan_address_is_poisoned(block));
  BOOST_TEST(!__asan_address_is_poisoned(block + 47));  // the whole 48-byte block: grows within it stay in place
  BOOST_TEST(__asan_address_is_poisoned(block + 48));  // the next block, not handed out yet
  pool.release(block, 40);
  BOOST_TEST(__asan_address_is_poisoned(block));
  BOOST_TEST(__asan_address_is_poisoned(block + 20));
  auto* again = static_cast<char*>(pool.allocate(40));
  BOOST_TEST(again == block);
  BOOST_TEST(!__asan_address_is_poisoned(again + 39));
  pool.release(again, 40);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
