#include "engine/telemetry/telemetry.hpp"

namespace solo {

std::string Telemetry::render() const {
  std::string out;
  for (const auto& collector : collectors_) collector(out);
  return out;
}

}  // namespace solo
