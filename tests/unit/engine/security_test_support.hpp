// Shared helpers for the security_* suites: a store on a real file, fake
// clocks, and reading the raw bytes of the data directory.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "stores/event_store.hpp"
#include "support/async_test.hpp"

namespace solo::test {

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Every byte of solo.db and solo.db-wal (as they are on disk right now).
inline std::string database_bytes(const std::filesystem::path& dir) {
  std::string all = read_bytes(dir / "solo.db");
  if (std::filesystem::exists(dir / "solo.db-wal")) all += read_bytes(dir / "solo.db-wal");
  return all;
}

inline std::vector<Event> all_events(boost::asio::io_context& io, EventStore& store,
                                     const std::string& type = "") {
  run_awaitable(io, store.flush());
  EventQuery query;
  query.event_type = type;
  query.limit = 100000;
  return run_awaitable(io, store.query(query));
}

}  // namespace solo::test
