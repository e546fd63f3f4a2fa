#include "stores/writer.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include "base/iso8601.hpp"
#include "stores/schema.hpp"
#include "stores/sqlite.hpp"

namespace solo {

namespace {
// Every kCheckpointPages new WAL pages (about 40 MiB at 4 KiB pages) the
// checkpointer is woken. Rarely: a checkpoint copies each page once however
// many commits rewrote it, so the less often, the fewer page writes per event.
constexpr int kCheckpointPages = 10000;
// Under steady load the checkpointer never quite catches up with the writer,
// and the WAL starts over from its beginning only after a checkpoint that did.
// So when the checkpointer has finished, it is woken again for what was
// committed meanwhile, until it leaves at most kCatchUpPages (about two
// commits under load) behind; the writer copies that rest itself (PASSIVE,
// between two commits: about a millisecond) and the next transaction starts
// the WAL over. Should that not converge, the writer catches up at
// kMaxWalPages whatever the rest:
// the WAL stays below about 160 MiB, and journal_size_limit truncates it back
// to 80 MiB after a restart.
constexpr int kCatchUpPages = 400;
constexpr int kMaxWalPages = 4 * kCheckpointPages;
constexpr const char* kJournalSizeLimit = "PRAGMA journal_size_limit=83886080";  // 80 MiB

// One writer per PostgreSQL store (its schema): a second solo process would
// hand out the same event ids. The lock is the writer connection's session
// lock, so the server drops it when that connection ends, a kill -9
// included; a connection that has just ended may take a moment to let go (a
// reopen right after a close), hence the short wait before giving up.
void claim_postgres_store(Database& db) {
  constexpr const char* kClaim = "SELECT pg_try_advisory_lock(73165040, hashtext(current_schema()))::int";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (db.query_int(kClaim) != 1) {
    if (std::chrono::steady_clock::now() >= give_up) {
      throw StoreError("another solo process is writing to this PostgreSQL store (schema) already");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Named threads show in top -H, perf and gdb.
void name_thread(std::thread& thread, const char* name) { pthread_setname_np(thread.native_handle(), name); }
}  // namespace

Writer::Writer(asio::any_io_executor executor, StoreLocation location, OpenOptions options)
    : executor_(std::move(executor)), location_(std::move(location)), options_(std::move(options)) {}

asio::awaitable<std::shared_ptr<Writer>> Writer::open(asio::any_io_executor executor, StoreLocation location,
                                                      OpenOptions options) {
  std::shared_ptr<Writer> writer(new Writer(executor, std::move(location), std::move(options)));
  writer->context_work_.emplace(writer->context_.get_executor());
  writer->checkpoint_work_.emplace(writer->checkpoint_context_.get_executor());
  writer->writer_thread_ = std::thread([w = writer.get()] {
    w->context_.run();
    w->db_.reset();
  });
  writer->checkpointer_thread_ = std::thread([w = writer.get()] {
    w->checkpoint_context_.run();
    w->checkpoint_db_.reset();
  });
  name_thread(writer->writer_thread_, "solo-writer");
  name_thread(writer->checkpointer_thread_, "solo-checkpoint");
  std::exception_ptr failure;
  try {
    // Named first: GCC 12 double-destroys converted temporaries (a lambda
    // becoming a std::function) inside a co_await expression.
    std::function<int(Database&)> run_migrations = [](Database& db) {
      migrate(db);
      return 0;
    };
    co_await writer->execute<int>(std::move(run_migrations));
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await writer->close();
    std::rethrow_exception(failure);
  }
  co_return writer;
}

Writer::~Writer() { stop_threads(); }

// Lets both contexts run out of work (what is posted still runs), then joins.
void Writer::stop_threads() {
  hand_over();  // what was submitted still runs
  if (context_work_) {
    asio::post(context_, [this] {
      idle_stopped_ = true;
      idle_timer_.cancel();
    });
  }
  context_work_.reset();
  if (writer_thread_.joinable()) writer_thread_.join();
  checkpoint_work_.reset();
  if (checkpointer_thread_.joinable()) checkpointer_thread_.join();
}

uint64_t Writer::submit(WriteFn fn) {
  if (closed_) throw StoreError("store is closed");
  uint64_t seq = next_seq_++;
  if (!in_flight_) in_flight_.emplace(executor_);
  outgoing_.push_back(Write{seq, epoch_, std::move(fn)});
  if (outgoing_.size() > 1) {
    if (engine_bound_) {
      if (handed_seq_ == completed_seq_ && tasks_out_ == 0 &&
          std::chrono::steady_clock::now() - first_outgoing_at_ >= kEarlyHandOver) {
        hand_over(true);  // the posted hand_over then finds nothing, or what came after
      }
    } else if (in_result_turn_ && outgoing_.size() >= kHandOverChunk) {
      hand_over();  // the Writer runs them while this turn goes on
    }
  } else {
    first_outgoing_at_ = std::chrono::steady_clock::now();
    // After whatever the engine is running now (a turn of its queue: e.g.
    // every waiter a commit resumed): one post for all their writes.
    asio::post(executor_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->hand_over();
    });
  }
  return seq;
}

void Writer::hand_over(bool now) {
  if (outgoing_.empty()) return;
  handed_seq_ = outgoing_.back().seq;
  const size_t handed = outgoing_.size();
  asio::post(context_, [this, now, writes = std::move(outgoing_)]() mutable {
    for (auto& write : writes) join_batch(std::move(write));
    if (now) {
      commit_pending();
    } else if (results_out_ > 0 && hold_for_engine_) {
      apply_pending();  // the commit waits for the engine's turn: use the wait
    }
  });
  outgoing_ = {};
  // The next turn is likely as busy as this one: room for it at once rather
  // than growing (and moving every write) from empty.
  outgoing_.reserve(handed);
}

asio::awaitable<void> Writer::wait_for(uint64_t seq) {
  if (seq <= completed_seq_) {
    for (auto [first, last] : failed_ranges_) {
      if (seq >= first && seq <= last) throw StoreError("commit failed: " + last_error_);
    }
    co_return;
  }
  auto self = shared_from_this();
  auto initiate = [self, seq](auto handler) { self->waiters_.emplace(seq, std::move(handler)); };
  co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(initiate,
                                                                                         asio::use_awaitable);
}

asio::awaitable<void> Writer::flush() {
  if (closed_) throw StoreError("store is closed");
  co_await wait_for(next_seq_ - 1);
}

void Writer::on_batch(std::function<void(const BatchResult&)> listener) { listeners_.push_back(std::move(listener)); }

asio::awaitable<void> Writer::close() {
  if (closed_) co_return;
  // Final checkpoint folds the WAL into the main file so that a copy of
  // solo.db alone is complete; failure here is harmless (the WAL stays).
  try {
    // The hook's idle work first (a cleanly stopped store has its tenant
    // indexes complete), and no idle timer keeps the writer thread alive.
    std::function<int(Database&)> checkpoint = [this](Database& db) {
      idle_stopped_ = true;
      idle_timer_.cancel();
      run_idle();
      if (db.dialect() == Dialect::sqlite) db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      return 0;
    };
    co_await execute<int>(std::move(checkpoint));
  } catch (const std::exception&) {
  }
  closed_ = true;
  if (probe_timer_) probe_timer_->cancel();
  // Joining is quick: the writes are committed (execute() above ran last).
  stop_threads();
}

// ---- writer thread ---------------------------------------------------------

void Writer::ensure_open() {
  if (db_ && !reopen_needed_) return;
  db_.reset();
  // Set up in full before it becomes db_: a connection that failed half way
  // (the store claimed by another process) must not be written through.
  auto db = open_database(location_, options_);
  // In cluster mode the lease's fence decides who writes (a paused node
  // keeps its connection, and so would keep an advisory lock, for ever).
  if (db->dialect() == Dialect::postgresql && !options_.fence) claim_postgres_store(*db);
  db_ = std::move(db);
  reopen_needed_ = false;
  if (auto* sqlite = dynamic_cast<SqliteDatabase*>(db_.get())) {
    sqlite->exec(kJournalSizeLimit);
    // Replace SQLite's automatic checkpoint (which would run inside our
    // commits) with a hook that hands the work to the checkpointer thread.
    // (A PostgreSQL server checkpoints on its own.)
    sqlite3_wal_hook(sqlite->handle(), &Writer::wal_hook, this);
  }
}

void Writer::run_task(UniqueTask task) {
  commit_pending();  // the writes posted before the task come first
  try {
    ensure_open();
  } catch (const std::exception& error) {
    open_error_ = error.what();  // the task reports it through its own handler
  }
  task();
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) --self->tasks_out_;
  });
}

void Writer::join_batch(Write write) {
  pending_.push_back(std::move(write));
  if (commit_posted_) return;
  commit_posted_ = true;
  asio::post(context_, [this] { commit_when_caught_up(); });
}

// A commit waits while the engine has not taken in an earlier result (see
// results_out_); engine_caught_up() runs it then.
void Writer::commit_when_caught_up() {
  if (commit_posted_ && (results_out_ == 0 || !hold_for_engine_)) commit_pending();
}

void Writer::engine_caught_up(bool engine_bound) {
  --results_out_;
  hold_for_engine_ = !engine_bound;
  if (commit_posted_ && (results_out_ == 0 || !hold_for_engine_)) commit_pending();
}

void Writer::commit_pending() {
  commit_posted_ = false;
  if (pending_.empty()) return;
  apply_pending();
  finish_batch();
}

void Writer::apply_pending() {
  const auto start = std::chrono::steady_clock::now();
  // Writes of a latched (failed) epoch are failed without touching the disk:
  // they were queued behind a failed commit and their ids will be reused.
  // They come first (an epoch only grows), so before the batch begins.
  while (!batch_begun_ && applied_ < pending_.size() && pending_[applied_].epoch < accept_epoch_) {
    ++applied_;
    ++stale_;
  }
  if (applied_ == pending_.size()) return;
  if (!batch_begun_) begin_batch();
  for (; applied_ < pending_.size(); ++applied_) {
    if (batch_failed_) continue;  // the batch fails whole; the rest need not run
    try {
      pending_[applied_].write(*db_);
    } catch (const std::exception& error) {
      batch_failed_ = true;
      batch_error_ = error.what();
    }
  }
  batch_busy_ += std::chrono::steady_clock::now() - start;
}

void Writer::begin_batch() {
  batch_begun_ = true;
  try {
    ensure_open();
    db_->begin_write();
    in_transaction_ = true;
    if (options_.fence) options_.fence(*db_);
    if (hook_) hook_->begun(*db_);
  } catch (const std::exception& error) {
    batch_failed_ = true;
    batch_error_ = error.what();
  }
}

void Writer::finish_batch() {
  const auto start = std::chrono::steady_clock::now();
  if (stale_ > 0) {
    BatchResult stale;
    stale.first_seq = pending_.front().seq;
    stale.last_seq = pending_[stale_ - 1].seq;
    stale.epoch = pending_[stale_ - 1].epoch;
    stale.ok = false;
    stale.error = "queued behind a failed commit: " + latched_error_;
    stale.ops = stale_;
    report(std::move(stale));
  }
  if (!batch_begun_) {  // all of it was stale
    clear_batch();
    return;
  }

  BatchResult result;
  result.first_seq = pending_[stale_].seq;
  result.last_seq = pending_.back().seq;
  result.epoch = pending_.back().epoch;
  result.ops = pending_.size() - stale_;
  if (!batch_failed_) {
    try {
      if (hook_) hook_->committing(*db_);
      if (injected_failures_ > 0) {
        --injected_failures_;
        throw StoreError("injected commit failure (disk I/O error)");
      }
      db_->commit();
      in_transaction_ = false;
    } catch (const std::exception& error) {
      batch_failed_ = true;
      batch_error_ = error.what();
    }
  }
  if (batch_failed_) {
    result.ok = false;
    result.error = batch_error_;
    if (hook_) hook_->rolled_back();
    if (in_transaction_ && db_) {
      try {
        db_->rollback();
      } catch (const std::exception&) {
        reopen_needed_ = true;  // the connection's state is unknown; start afresh
      }
    }
    if (!db_ || db_->broken()) reopen_needed_ = true;
    accept_epoch_ = result.epoch + 1;
    latched_error_ = result.error;
  }
  result.commit_time = batch_busy_ + (std::chrono::steady_clock::now() - start);
  clear_batch();
  report(std::move(result));
  catch_up();
  arm_idle();
}

void Writer::clear_batch() {
  pending_.clear();  // keeps its capacity for the next batch
  applied_ = stale_ = 0;
  batch_begun_ = in_transaction_ = batch_failed_ = false;
  batch_error_.clear();
  batch_busy_ = {};
}

// The writer's own checkpoint of the rest (see kCatchUpPages). It runs while
// the engine takes in the result just reported (the next commit waits for
// that anyway), not inside the COMMIT, whose acknowledgements it would delay
// by a 400-page copy and a sync of the database file.
void Writer::catch_up() {
  if (!catch_up_due_) return;
  catch_up_due_ = false;
  if (auto* sqlite = dynamic_cast<SqliteDatabase*>(db_.get())) {
    sqlite3_wal_checkpoint_v2(sqlite->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
}

// Each commit pushes the idle work kIdleDelay further out: under load it
// never runs (the hook's committing() keeps up), at rest it runs once.
void Writer::arm_idle() {
  if (!hook_ || idle_stopped_ || !hook_->idle_work()) return;
  idle_timer_.expires_after(kIdleDelay);
  idle_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && pending_.empty() && !commit_posted_) run_idle();
  });
}

void Writer::run_idle() {
  if (!hook_ || !hook_->idle_work() || !db_ || reopen_needed_) return;
  bool in_transaction = false;
  try {
    db_->begin_write();
    in_transaction = true;
    if (options_.fence) options_.fence(*db_);
    hook_->begun(*db_);
    hook_->idle(*db_);
    db_->commit();
    catch_up();
  } catch (const std::exception&) {
    // Nothing waits on it: the next commit (or the next idle spell) retries.
    hook_->rolled_back();
    if (db_->broken()) reopen_needed_ = true;
    if (in_transaction) {
      try {
        db_->rollback();
      } catch (const std::exception&) {
        reopen_needed_ = true;
      }
    }
  }
}

void Writer::report(BatchResult result) {
  ++results_out_;
  asio::post(executor_, [weak = weak_from_this(), result = std::move(result)] {
    auto self = weak.lock();
    if (!self) return;
    const auto arrived = std::chrono::steady_clock::now();
    self->in_result_turn_ = true;
    self->handle_result(result);
    // handle_result resumed the waiters; this runs after them (and after
    // what they posted before it), so whatever they submitted reaches the
    // writer context before the notice.
    asio::post(self->executor_, [weak, arrived, commit = result.commit_time] {
      // A raw pointer on the writer thread: the Writer joins it before it goes away.
      if (auto self = weak.lock()) {
        self->in_result_turn_ = false;
        self->hand_over();  // the resumed waiters' writes, before the notice
        self->note_turn(std::chrono::steady_clock::now() - arrived, commit);
        asio::post(self->context_, [w = self.get(), bound = self->engine_bound_] { w->engine_caught_up(bound); });
      }
    });
  });
}

int Writer::wal_hook(void* self, sqlite3*, const char*, int pages) {
  auto* writer = static_cast<Writer*>(self);
  if (pages < writer->checkpoint_mark_) writer->checkpoint_mark_ = 0;  // the WAL started over
  int backfilled = writer->checkpointed_pages_.exchange(-1);  // -1: no checkpoint finished since
  bool finished = backfilled >= 0;
  if ((finished && pages - backfilled <= kCatchUpPages) || pages >= kMaxWalPages) {
    writer->catch_up_due_ = true;  // after the commit's result is on its way: catch_up()
  } else if ((finished || pages - writer->checkpoint_mark_ >= kCheckpointPages) &&
             !writer->checkpoint_posted_.exchange(true)) {
    writer->checkpoint_mark_ = pages;
    asio::post(writer->checkpoint_context_, [writer] { writer->checkpoint(); });
  }
  return SQLITE_OK;
}

// ---- checkpointer thread ---------------------------------------------------

void Writer::checkpoint() {
  checkpoint_posted_ = false;
  try {
    if (!checkpoint_db_) checkpoint_db_ = std::make_unique<SqliteDatabase>(location_.file(), options_);
    int log_frames = 0, checkpointed = 0;
    if (sqlite3_wal_checkpoint_v2(checkpoint_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                  &checkpointed) == SQLITE_OK) {
      checkpointed_pages_ = checkpointed;
    }
  } catch (const std::exception&) {
    checkpoint_db_.reset();  // try again on the next request
  }
}

// ---- engine thread ---------------------------------------------------------

// One probe per kProbeInterval while degraded: its result goes through
// handle_result like any batch, which clears degraded_ on success or
// schedules the next probe on failure.
void Writer::schedule_probe() {
  if (probe_scheduled_ || closed_) return;
  probe_scheduled_ = true;
  if (!probe_timer_) probe_timer_.emplace(executor_);
  probe_timer_->expires_after(kProbeInterval);
  probe_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->probe_scheduled_ = false;
    if (ec || self->closed_ || !self->degraded_) return;
    // The time is the engine's (SQL without a backend's date functions).
    self->submit([at = utc_now_iso8601()](Database& db) {
      db.cached("INSERT INTO meta (key, value) VALUES ('store_probe', ?1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
          .bind(1, at)
          .run();
    });
  });
}

void Writer::note_turn(std::chrono::nanoseconds turn, std::chrono::nanoseconds commit) {
  if (commit.count() <= 0) return;  // a batch failed without touching the disk
  const double ratio = std::chrono::duration<double>(turn) / commit;
  turn_over_commit_ += (ratio - turn_over_commit_) / 8;
  if (turn_over_commit_ > 0.8) {
    engine_bound_ = true;
  } else if (turn_over_commit_ < 0.5) {
    engine_bound_ = false;
  }
}

void Writer::handle_result(const BatchResult& result) {
  if (result.ok) {
    degraded_ = false;
    ++stats_.commits;
    stats_.ops_committed += result.ops;
    stats_.batch_size.observe(static_cast<double>(result.ops));
    stats_.commit_seconds.observe(std::chrono::duration<double>(result.commit_time).count());
  } else {
    degraded_ = true;
    last_error_ = result.error;
    ++stats_.failed_commits;
    if (result.epoch >= epoch_) epoch_ = result.epoch + 1;
    failed_ranges_.emplace_back(result.first_seq, result.last_seq);
    if (failed_ranges_.size() > 64) failed_ranges_.pop_front();
    schedule_probe();
  }
  completed_seq_ = std::max(completed_seq_, result.last_seq);
  if (completed_seq_ + 1 == next_seq_) in_flight_.reset();
  for (auto& listener : listeners_) listener(result);

  std::exception_ptr error;
  if (!result.ok) error = std::make_exception_ptr(StoreError("commit failed: " + result.error));
  // Waiters for seqs before this batch were resolved by earlier results.
  while (!waiters_.empty() && waiters_.begin()->first <= result.last_seq) {
    auto handler = std::move(waiters_.begin()->second);
    waiters_.erase(waiters_.begin());
    // Resumed here, in order (this already runs on the engine's executor, a
    // post of its own from the writer thread): a post per waiter would cost
    // an operation and a trip through the scheduler for each. A waiter that
    // waits again does so for a later seq, which this loop does not reach.
    std::move(handler)(error);
  }
}

}  // namespace solo
