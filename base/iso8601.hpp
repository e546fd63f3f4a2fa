// Wall-clock time stamps: UTC, ISO 8601 with milliseconds
// ("2026-11-25T10:00:00.123Z"). The one format for event times, error bodies,
// token and registration times.
#pragma once

#include <chrono>
#include <string>

namespace solo {

std::string format_iso8601(std::chrono::system_clock::time_point at);
std::string utc_now_iso8601();

}  // namespace solo
