// The text of a file under examples/ (the integration tests deploy them as users do).
#pragma once

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace solo::test {

inline std::string example(const std::string& name) {
  std::ifstream in(std::string(SOLO_SOURCE_DIR) + "/examples/" + name);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read examples/" << name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace solo::test
