#include "base/iso8601.hpp"

#include <cstdio>
#include <ctime>

namespace solo {

namespace {

// "YYYY-MM-DDTHH:MM:SS" of a second, formatted with gmtime_r + snprintf.
void format_second(std::time_t seconds, char (&out)[32]) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

std::string utc_now_iso8601() { return format_iso8601(std::chrono::system_clock::now()); }

// Every error body and /health answer carries a time stamp, so this runs per
// request: the date-and-time part changes once a second, so each thread keeps
// the last second's text and only appends the milliseconds (gmtime_r takes a
// process-wide lock, snprintf is slow).
std::string format_iso8601(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(ms / 1000);
  auto millis = static_cast<int>(ms % 1000);
  if (millis < 0) {  // before 1970: the second before, plus a positive fraction
    millis += 1000;
    --seconds;
  }
  thread_local std::time_t cached_second = -1;
  thread_local char cached_text[32] = {};
  if (seconds != cached_second || cached_second == -1) {
    format_second(seconds, cached_text);
    cached_second = seconds;
  }
  std::string out(cached_text);
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

}  // namespace solo
