// A PostgreSQL server of an integration test's own (support/postgres_server.sh),
// for tests that halt and resume it or share it between nodes: started in
// `state` when constructed, stopped and deleted when destroyed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>

namespace solo::test {

class OwnPostgres {
 public:
  explicit OwnPostgres(std::filesystem::path state) : state_(std::move(state)) {
    BOOST_TEST_REQUIRE(script("start") == 0);
  }
  ~OwnPostgres() { script("stop"); }
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;

  // postgres_server.sh COMMAND STATE (start, stop, halt, resume); its exit code.
  int script(const char* command) const {
    std::string line = std::string("sh ") + SOLO_SOURCE_DIR + "/tests/support/postgres_server.sh " + command + " " +
                       state_.string() + " >/dev/null";
    return std::system(line.c_str());
  }
  std::string uri() const {
    std::ifstream in(state_ / "uri");
    std::string uri;
    std::getline(in, uri);
    return uri;
  }

 private:
  std::filesystem::path state_;
};

}  // namespace solo::test
