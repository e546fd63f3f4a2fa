// LuaMeter's CPU clock at the steps of a deploy: time the OS gives other
// processes while a top level runs is not charged to it.
#include "engine/sandbox/lua_meter.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <thread>

using solo::LuaLimits;
using solo::LuaMeter;

namespace {

// Runs a step of ~20k instructions (it reaches the count hook) after the
// step's wall clock has already passed its 5 ms budget without using CPU
// (a sleep stands for the OS running something else). Returns the error, or "".
std::string step_after_a_pause(bool exact_cpu) {
  LuaLimits limits;
  LuaMeter meter(limits);
  lua_State* L = lua_newstate(&LuaMeter::allocate, &meter);
  meter.install(L);
  luaL_loadstring(L, "local n = 0 for i = 1, 5000 do n = n + i end return n");
  meter.begin_message(std::chrono::milliseconds(5), false, exact_cpu);
  meter.resume_metering(L);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int status = lua_pcall(L, 0, 1, 0);
  meter.pause();
  std::string error = status == LUA_OK ? "" : lua_tostring(L, -1);
  lua_close(L);
  return error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_meter)

BOOST_AUTO_TEST_CASE(a_deploy_step_is_charged_its_cpu_not_the_wall_time) {
  BOOST_TEST(step_after_a_pause(true) == "");
}

BOOST_AUTO_TEST_CASE(a_message_first_slice_is_dated_back_by_the_wall_time) {
  // The cheap path messages keep (no system call for a short message): the
  // first slice's CPU is at most its wall time, so a pause counts.
  BOOST_TEST(step_after_a_pause(false).find("cpu time limit exceeded") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
