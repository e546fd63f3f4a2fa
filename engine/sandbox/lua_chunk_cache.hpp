// LuaChunkCache: the compiled form of service code loaded before.
//
// Compiling is a sixth of creating a sandbox, and services built from the
// same code (a tenant's alike services, a recovery of many) each compiled it
// again. The cache keeps the binary dump (lua_dump, debug information
// included, so error messages keep their lines) of recently compiled texts,
// keyed by the tenant and the text itself, compared whole: no hash collision
// can hand a service another's code. Per tenant, because a deploy that finds
// its dump is a few microseconds faster: shared, that would tell one tenant
// whether another runs a given text. A dump is bytes; each state loads its
// own functions from it, so nothing mutable is shared between sandboxes.
// Only dumps made here are loaded as binary: a service's own load() stays
// text-only (lua_environment.cpp).
//
// Bounded: at most max_bytes of texts and dumps, the oldest entry dropped
// first; a text over a quarter of that is not kept.
//
// Threading: any thread (a mutex around the map; a dump is shared, not copied).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace solo {

class LuaChunkCache {
 public:
  static constexpr std::size_t max_bytes = 8u << 20;

  // The dump of `code` compiled for `tenant`, or null.
  static std::shared_ptr<const std::string> find(std::string_view tenant, std::string_view code);
  // Keeps `dump`, the dump of `code`, for `tenant`.
  static void keep(std::string_view tenant, std::string_view code, std::string dump);
};

}  // namespace solo
