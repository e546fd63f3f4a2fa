#include "engine/sandbox/lua_host.hpp"

#include <stdexcept>

namespace solo {

namespace {

[[noreturn]] void no_storage() { throw std::runtime_error("solo.storage is not available in this sandbox"); }

}  // namespace

const std::string* LuaHost::storage_get(std::string_view) { no_storage(); }
void LuaHost::storage_put(std::string_view, std::string) { no_storage(); }
bool LuaHost::storage_delete(std::string_view) { no_storage(); }
std::vector<std::pair<std::string, std::string>> LuaHost::storage_list(std::string_view, std::string_view,
                                                                        std::size_t) {
  no_storage();
}

}  // namespace solo
