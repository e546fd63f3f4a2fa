// Test helpers: run an awaitable to completion on an io_context, and a
// temporary directory that removes itself.
#pragma once

#include <atomic>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace solo::test {

template <class T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::exception_ptr error;
  std::optional<T> result;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    done = true;
  });
  io.restart();
  while (!done && io.run_one()) {
  }
  if (!done) throw std::logic_error("run_awaitable: the io_context ran out of work before the task finished");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.restart();
  while (!done && io.run_one()) {
  }
  if (!done) throw std::logic_error("run_awaitable: the io_context ran out of work before the task finished");
  if (error) std::rethrow_exception(error);
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("solo-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace solo::test
