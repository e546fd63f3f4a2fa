// The Writer: the one place that writes to <data>/solo.db.
//
// One writer thread owns the only writable sqlite3 connection and runs an
// io_context of its own (the writer context). The engine thread posts each
// write operation to it (a closure run inside a transaction); each gets a
// sequence number at once. On the writer thread an operation joins the
// pending batch and, if no commit is scheduled, posts one; the commit runs
// the whole batch in ONE transaction (fsync), so it gathers everything posted
// before it, and posts a BatchResult back to the engine executor (results
// arrive in order). While one commit runs the next batch gathers (group
// commit); while a commit waits for the engine's turn, the writes handed over
// so far already run in the batch's open transaction (apply_pending).
// `co_await flush()` returns once everything submitted before it is
// committed, or throws StoreError when it is not. execute() runs a function on
// the writer thread in the same order, after the writes posted before it.
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
// checkpoint is replaced by a wal_hook that posts a PASSIVE checkpoint to a
// checkpointer thread with its own connection and io_context (PASSIVE
// checkpoints never block the writer), every kCheckpointPages new WAL pages.
// Under steady load the checkpointer never quite catches up, so after it
// finished the writer checkpoints the small rest itself between two commits
// (after reporting the one before), and the WAL starts over: its size stays
// bounded (writer.cpp).
//
// Thread ownership: fields are grouped below by the thread that owns them.
// submit/flush/wait_for/execute/on_batch are engine-thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/async_call.hpp"
#include "base/histogram.hpp"
#include "stores/database.hpp"
#include "base/unique_task.hpp"

struct sqlite3;  // the wal_hook's argument (a SQLite store only)

namespace solo {

namespace asio = boost::asio;
class SqliteDatabase;

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

// Writer-thread work that rides in the Writer's transactions (the
// EventStore's tenant indexes, stores/event_index.hpp). Every call is on the
// writer thread; an exception fails the transaction like a failed write.
class TransactionHook {
 public:
  virtual ~TransactionHook() = default;
  virtual void begun(Database& db) = 0;       // after BEGIN, before the batch's writes
  virtual void committing(Database& db) = 0;  // after them, before COMMIT
  virtual void rolled_back() = 0;             // the transaction did not commit
  // Work worth a transaction of its own once no write came for kIdleDelay.
  virtual bool idle_work() const = 0;
  virtual void idle(Database& db) = 0;
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
  static asio::awaitable<std::shared_ptr<Writer>> open(asio::any_io_executor executor, StoreLocation location,
                                                       OpenOptions options);
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
  // The epoch a write submitted now joins; it moves on when a failure is
  // reported (every write of a failed epoch fails).
  uint64_t epoch() const { return epoch_; }
  const StoreLocation& location() const { return location_; }

  // Writer thread only (from execute()): the hook of every later transaction.
  void set_hook(std::shared_ptr<TransactionHook> hook) { hook_ = std::move(hook); }

  // Fault injection (tests): the next n commits fail as if the disk refused them.
  void inject_commit_failures(int n) { injected_failures_ = n; }

  // How often a degraded writer tries a probe commit.
  static constexpr std::chrono::seconds kProbeInterval{1};
  // How long without a commit before the hook's idle work runs.
  static constexpr std::chrono::milliseconds kIdleDelay{100};

 private:
  struct Write {
    uint64_t seq = 0;
    uint64_t epoch = 0;
    WriteFn write;
  };
  using WaitHandler = asio::any_completion_handler<void(std::exception_ptr)>;
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  Writer(asio::any_io_executor executor, StoreLocation location, OpenOptions options);
  void run_task(UniqueTask task);      // writer thread: an execute() task, in order
  void join_batch(Write write);        // writer thread
  void commit_when_caught_up();        // writer thread: the posted commit
  // writer thread: the engine took in a result (and whether it is the bottleneck)
  void engine_caught_up(bool engine_bound);
  void commit_pending();               // writer thread: the batch's rest, then COMMIT
  void apply_pending();                // writer thread: run the batch's writes not run yet
  void begin_batch();                  // writer thread: BEGIN (or the failure to)
  void finish_batch();                 // writer thread: COMMIT or roll back, report
  void clear_batch();                  // writer thread: ready for the next batch
  void catch_up();                     // writer thread: the checkpoint wal_hook asked for
  void arm_idle();                     // writer thread
  void run_idle();                     // writer thread: the hook's idle transaction
  void ensure_open();
  // engine thread: outgoing_ -> the writer context; `now`: commit them at
  // once, not held for the engine's "caught up" notice (kEarlyHandOver)
  void hand_over(bool now = false);
  void report(BatchResult result);                // writer thread -> engine thread
  void handle_result(const BatchResult& result);  // engine thread
  // engine thread: the engine took `turn` to take in a result whose commit took `commit`
  void note_turn(std::chrono::nanoseconds turn, std::chrono::nanoseconds commit);
  void schedule_probe();                          // engine thread
  void checkpoint();                              // checkpointer thread
  void stop_threads();
  static int wal_hook(void* self, struct sqlite3*, const char*, int pages);

  asio::any_io_executor executor_;
  StoreLocation location_;
  OpenOptions options_;

  // The writer context, run by writer_thread_; everything below up to the
  // checkpointer's fields is touched only by its handlers.
  asio::io_context context_{1};
  std::optional<WorkGuard> context_work_;  // until close()
  std::unique_ptr<Database> db_;
  std::vector<Write> pending_;  // the batch the next commit takes
  bool commit_posted_ = false;  // a commit is scheduled (posted or held)
  // The batch runs as it arrives: while its commit is held for the engine's
  // turn (below), the writes handed over so far already run in its open
  // transaction (apply_pending), so that at the turn's end only the rest and
  // the COMMIT remain. The first `applied_` of pending_ have run (or were
  // skipped: stale, or behind a failure); the first `stale_` of them belong
  // to a latched epoch and never touch the disk.
  size_t applied_ = 0;
  size_t stale_ = 0;
  bool batch_begun_ = false;     // begin_batch ran for pending_
  bool in_transaction_ = false;  // its BEGIN succeeded and no COMMIT/ROLLBACK yet
  bool batch_failed_ = false;
  std::string batch_error_;
  // The writer's time on the batch (BEGIN, each write, COMMIT), without the
  // waits between the parts: the batch's commit time as reported.
  std::chrono::nanoseconds batch_busy_{0};
  // Results posted to the engine thread whose waiters have not resumed yet.
  // While it is non-zero a scheduled commit is held until the engine's "caught
  // up" notice, which the engine posts after the writes its resumed waiters
  // made: so what the engine submits in response to a commit joins the next
  // batch rather than the one after it. Without it, appenders under load
  // split into two half-size groups that alternate, each paying a commit's
  // fixed cost (see docs/architecture.md, "Durability"). No timeout: the
  // engine never blocks, and while it is busy it could not take in the
  // acknowledgements anyway.
  int results_out_ = 0;
  // ... unless the engine is the bottleneck (engine_bound_, below): then
  // the Writer commits what it has at once, and the two threads work on
  // two groups that alternate instead of each waiting for the other.
  bool hold_for_engine_ = true;
  uint64_t accept_epoch_ = 0;  // writes of an older epoch are rejected (a failure latched)
  bool reopen_needed_ = false;
  std::string open_error_;
  std::string latched_error_;  // why the current epoch was latched
  std::atomic<int> injected_failures_{0};
  int checkpoint_mark_ = 0;  // WAL pages when the checkpointer was last woken
  bool catch_up_due_ = false;  // wal_hook: the writer checkpoints the rest itself
  std::shared_ptr<TransactionHook> hook_;
  asio::steady_timer idle_timer_{context_};
  bool idle_stopped_ = false;  // close() ran the idle work for the last time

  // The checkpointer context, run by checkpointer_thread_.
  asio::io_context checkpoint_context_{1};
  std::optional<WorkGuard> checkpoint_work_;
  std::unique_ptr<SqliteDatabase> checkpoint_db_;
  std::atomic<bool> checkpoint_posted_{false};  // set by the wal_hook, cleared when it runs
  std::atomic<int> checkpointed_pages_{-1};      // WAL pages the last checkpoint copied; -1 once seen

  // Engine thread only.
  // Writes submitted since the last hand_over(): they go to the writer
  // context together, once per turn of the engine's queue, rather than one
  // post (and one wake-up of the writer thread) each. Anything else posted to
  // the writer context from the engine hands them over first, so the writer
  // sees everything in submission order.
  std::vector<Write> outgoing_;
  // Whether the engine is the bottleneck: its turn over a result (resuming
  // the waiters and running what they did next) against that result's
  // commit, smoothed (1/8 each); above 0.8 it is, below 0.5 no longer (so
  // the mode does not flicker with the smaller groups it makes). Appenders'
  // turns are ~0.2-0.5 of their commit; 256 storage callers' (~4 us of
  // engine per call) ~1.
  double turn_over_commit_ = 0;
  bool engine_bound_ = false;
  // While it is, a long engine turn does not keep an idle Writer waiting for
  // its end and then commit while the engine idles: once the first outgoing
  // write has waited kEarlyHandOver and the writer has nothing in hand
  // (every write handed over is completed, no execute() task is out), the
  // writes go at once and are committed at once, overlapping the rest of
  // the turn, and the Writer no longer holds for the engine's notice. The
  // callers split into two groups that keep both threads busy. Measured
  // (solo-bench storage, 256 callers, five pairs of runs): 201k -> 208k
  // calls/s, mean batch 172 -> ~140, 0.53 -> 0.66 of raw SQLite at that
  // batch. Otherwise (appenders, whatever the machine's speed) the early
  // hand-over would only split a batch the hold keeps whole: its second
  // part's acknowledgements would wait for two commits.
  static constexpr std::chrono::microseconds kEarlyHandOver{300};
  std::chrono::steady_clock::time_point first_outgoing_at_{};
  // The engine is taking in a result (resuming its waiters): the Writer
  // holds the next commit until this turn ends, and runs what it is handed
  // meanwhile. So the writes go over every kHandOverChunk rather than all
  // at the turn's end: the writer runs the first ones while the engine
  // makes the rest. Measured (solo-bench append, 256 writers, 5 runs each,
  // same machine and hour): 163k -> 176k-183k events/s, ack over its own
  // commit p50 1.28 -> 1.17, engine CPU per event 1.0 -> 1.3 us (the posts).
  // Not while engine-bound: there the early hand-over splits the groups.
  bool in_result_turn_ = false;
  static constexpr size_t kHandOverChunk = 16;
  uint64_t handed_seq_ = 0;  // the last sequence number handed over
  int tasks_out_ = 0;        // execute() tasks posted and not yet finished
  uint64_t next_seq_ = 1;
  uint64_t completed_seq_ = 0;
  uint64_t epoch_ = 0;
  bool degraded_ = false;
  bool closed_ = false;
  std::string last_error_;
  std::multimap<uint64_t, WaitHandler> waiters_;  // by the seq they wait for
  std::deque<std::pair<uint64_t, uint64_t>> failed_ranges_;  // recent failures, for late waiters
  // Held while writes are in flight, so the engine's io_context keeps running
  // until their results come back from the writer thread.
  std::optional<asio::executor_work_guard<asio::any_io_executor>> in_flight_;
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
      executor_,
      [self](UniqueTask task) {
        self->hand_over();  // the writes submitted before the task come first
        ++self->tasks_out_;
        asio::post(self->context_, [self, task = std::move(task)]() mutable { self->run_task(std::move(task)); });
      },
      [self, fn = std::move(fn)]() -> R {
        if (!self->db_) throw StoreError("database is not open: " + self->open_error_);
        return fn(*self->db_);
      });
}

}  // namespace solo
