// The Writer: the one place that writes to <data>/solo.db.
//
// One writer thread owns the only writable sqlite3 connection. The engine
// thread submits write operations (closures run inside a transaction on the
// writer thread); each gets a sequence number at once. The writer thread takes
// everything queued, runs it in ONE transaction, commits (fsync), and posts a
// BatchResult back to the engine executor; while one commit runs the next
// batch gathers (group commit). `co_await flush()` returns once everything
// submitted before it is committed, or throws StoreError when it is not.
//
// Failure: a failed commit fails its whole batch and everything queued behind
// it. The writer thread latches the failing epoch at once and rejects every
// operation of that epoch; the engine thread, when it learns of the failure,
// starts a new epoch (and the EventStore rewinds its id counter, so ids stay
// gap-free). Writing resumes with the next batch once the disk does; until
// then the store reports itself degraded. Nothing is acknowledged (no flush
// returns successfully) that is not committed. While degraded, the writer
// probes the disk itself (a one-row commit to the meta table every
// kProbeInterval), so that it reports itself healthy again as soon as the disk
// takes writes, whether or not any request comes in.
//
// Checkpoints are kept off the commit path: the writer connection's automatic
// checkpoint is replaced by a wal_hook that wakes a checkpointer thread with
// its own connection (PASSIVE checkpoints never block the writer).
//
// Thread ownership: fields are grouped below by the thread that owns them.
// submit/flush/wait_for/execute/on_batch are engine-thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/async_call.hpp"
#include "base/histogram.hpp"
#include "stores/sqlite.hpp"
#include "base/unique_task.hpp"

namespace solo {

namespace asio = boost::asio;

using WriteFn = std::function<void(Database&)>;

// What the writer reports to the engine thread for one contiguous range of
// submitted operations, in submission order.
struct BatchResult {
  uint64_t first_seq = 0;  // inclusive
  uint64_t last_seq = 0;   // inclusive
  uint64_t epoch = 0;
  bool ok = true;
  std::string error;
  size_t ops = 0;
  std::chrono::nanoseconds commit_time{0};
};

struct WriterStats {
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  uint64_t ops_committed = 0;
  Histogram batch_size{{1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000}};
  Histogram commit_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
};

class Writer : public std::enable_shared_from_this<Writer> {
 public:
  // Opens (creating if needed) the database on the writer thread, runs the
  // migrations, starts the checkpointer. Throws StoreError on failure.
  static asio::awaitable<std::shared_ptr<Writer>> open(asio::any_io_executor executor,
                                                       std::filesystem::path path, OpenOptions options);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues a write; returns its sequence number. Never blocks on the disk.
  uint64_t submit(WriteFn fn);
  // Completes when operation `seq` is committed; throws StoreError if its batch failed.
  asio::awaitable<void> wait_for(uint64_t seq);
  // Completes when everything submitted so far is committed.
  asio::awaitable<void> flush();

  // Runs fn on the writer thread, in queue order, outside any transaction.
  template <class R>
  asio::awaitable<R> execute(std::function<R(Database&)> fn);

  // Called on the engine thread for every BatchResult, before waiters resume.
  void on_batch(std::function<void(const BatchResult&)> listener);

  // Drains the queue, checkpoints (TRUNCATE), stops both threads. Idempotent.
  asio::awaitable<void> close();

  bool degraded() const { return degraded_; }
  const std::string& last_error() const { return last_error_; }
  const WriterStats& stats() const { return stats_; }
  uint64_t submitted_seq() const { return next_seq_ - 1; }
  uint64_t completed_seq() const { return completed_seq_; }
  const std::filesystem::path& path() const { return path_; }

  // Fault injection (tests): the next n commits fail as if the disk refused them.
  void inject_commit_failures(int n) { injected_failures_ = n; }

  // How often a degraded writer tries a probe commit.
  static constexpr std::chrono::seconds kProbeInterval{1};

 private:
  struct Item {
    uint64_t seq = 0;  // 0 for execute() tasks
    uint64_t epoch = 0;
    WriteFn write;
    UniqueTask task;
  };
  using WaitHandler = asio::any_completion_handler<void(std::exception_ptr)>;

  Writer(asio::any_io_executor executor, std::filesystem::path path, OpenOptions options);
  void enqueue(Item item);
  void writer_main();
  void checkpointer_main();
  void process(std::vector<Item>& items);
  void commit_group(std::vector<Item>& group);
  void ensure_open();
  void report(BatchResult result);              // writer thread -> engine thread
  void handle_result(const BatchResult& result);  // engine thread
  void schedule_probe();                          // engine thread
  static int wal_hook(void* self, struct sqlite3*, const char*, int pages);

  asio::any_io_executor executor_;
  std::filesystem::path path_;
  OpenOptions options_;

  // Shared between threads, guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  // Batch results posted to the engine thread whose waiters have not resumed
  // yet. While it is non-zero the writer thread holds the next batch back (at
  // most kMaxEngineWait after its last report), so that what the engine
  // submits in response to a commit joins the next batch rather than the one
  // after it: under load, appenders otherwise split into two half-size groups
  // that alternate, each paying a full fsync (see bench/append_bench.cpp).
  int results_unprocessed_ = 0;
  std::condition_variable engine_caught_up_;
  std::atomic<int> injected_failures_{0};

  // Writer thread only.
  std::unique_ptr<Database> db_;
  uint64_t accept_epoch_ = 0;  // items of an older epoch are rejected (a failure latched)
  bool reopen_needed_ = false;
  std::string open_error_;
  std::string latched_error_;  // why the current epoch was latched
  std::chrono::steady_clock::time_point last_report_;

  // Checkpointer thread, woken by the wal_hook.
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool checkpoint_requested_ = false;
  bool checkpoint_stopping_ = false;

  // Engine thread only.
  uint64_t next_seq_ = 1;
  uint64_t completed_seq_ = 0;
  uint64_t epoch_ = 0;
  bool degraded_ = false;
  bool closed_ = false;
  std::string last_error_;
  std::multimap<uint64_t, WaitHandler> waiters_;  // by the seq they wait for
  std::deque<std::pair<uint64_t, uint64_t>> failed_ranges_;
  // Held while writes are in flight, so the io_context keeps running until
  // their results come back from the writer thread.
  std::optional<asio::executor_work_guard<asio::any_io_executor>> in_flight_;  // recent failures, for late waiters
  std::vector<std::function<void(const BatchResult&)>> listeners_;
  WriterStats stats_;
  std::optional<asio::steady_timer> probe_timer_;  // armed while degraded
  bool probe_scheduled_ = false;

  std::thread writer_thread_;
  std::thread checkpointer_thread_;
};

template <class R>
asio::awaitable<R> Writer::execute(std::function<R(Database&)> fn) {
  // Raw pointer: the task runs on the writer thread, which the Writer joins
  // before it is destroyed.
  Writer* self = this;
  return async_call<R>(
      executor_, [self](UniqueTask task) { self->enqueue(Item{0, 0, {}, std::move(task)}); },
      [self, fn = std::move(fn)]() -> R {
        if (!self->db_) throw StoreError(0, "database is not open: " + self->open_error_);
        return fn(*self->db_);
      });
}

}  // namespace solo
