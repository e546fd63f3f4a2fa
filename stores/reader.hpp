// The Reader: a thread with its own read-only connection to the store, so
// that queries (event pages, recovery plans) never run on the engine thread.
// It reads while the Writer commits (SQLite's WAL mode; PostgreSQL's MVCC). Tasks run one at a time, in
// submission order; `run` is safe to call from the engine thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/async_call.hpp"
#include "stores/database.hpp"

namespace solo {

class Reader {
 public:
  // The database must exist (the Writer creates it).
  Reader(boost::asio::any_io_executor executor, StoreLocation location);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  template <class R>
  boost::asio::awaitable<R> run(std::function<R(Database&)> fn) {
    Reader* self = this;  // the thread is joined before the Reader goes away
    return async_call<R>(
        executor_, [self](UniqueTask task) { self->enqueue(std::move(task)); },
        [self, fn = std::move(fn)]() -> R { return fn(self->database()); });
  }

 private:
  void enqueue(UniqueTask task);
  void thread_main();
  Database& database();  // reader thread only; opens lazily

  boost::asio::any_io_executor executor_;
  StoreLocation location_;
  std::unique_ptr<Database> db_;  // reader thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<UniqueTask> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace solo
