// One flat JSON object on one line, numbers in plain notation (boost::json
// would print doubles as 4.155237E3: valid, but hard to read in a terminal or
// a report). For the `--json` output of scenarios.
#pragma once

#include <cstdio>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace solo::bench {

inline std::string to_json_line(const boost::json::object& object) {
  std::string out = "{";
  for (const auto& [key, value] : object) {
    if (out.size() > 1) out += ",";
    out += boost::json::serialize(boost::json::string(key));
    out += ":";
    if (value.is_double()) {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.10g", value.get_double());
      out += buffer;
    } else {
      out += boost::json::serialize(value);
    }
  }
  return out + "}";
}

}  // namespace solo::bench
