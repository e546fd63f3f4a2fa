// The Writer's group commit on its own io_context: what a commit gathers, and
// the order in which results come back to the engine thread.
#include "stores/writer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/event_store.hpp"
#include "support/async_test.hpp"
#include "support/test_store.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

NewEvent tick() {
  NewEvent event;
  event.event_type = "tick";
  event.tenant_id = "t1";
  return event;
}

asio::awaitable<void> append_and_record(std::shared_ptr<EventStore> store, std::vector<int64_t>* acked) {
  acked->push_back(co_await store->append_durable(tick()));
}

// Work on the engine thread that the OS cannot shorten (a sleep would let
// the engine's turn end early): a handler that runs for `time`.
void busy_for(std::chrono::microseconds time) {
  const auto until = std::chrono::steady_clock::now() + time;
  while (std::chrono::steady_clock::now() < until) {
  }
}

// One of a set of callers: `rounds` times a write that takes `write_time` on
// the writer thread, wait for it, then `engine_time` of work on the engine
// (in the turn that resumed it, before its next write).
asio::awaitable<void> write_wait_work(std::shared_ptr<EventStore> store, int rounds,
                                      std::chrono::microseconds write_time, std::chrono::microseconds engine_time) {
  for (int i = 0; i < rounds; ++i) {
    const uint64_t seq =
        store->writer().submit([write_time](Database&) { std::this_thread::sleep_for(write_time); });
    co_await store->writer().wait_for(seq);
    busy_for(engine_time);
  }
}

// The commits' batch sizes of `callers` callers doing `rounds` rounds each.
std::vector<size_t> batches_of(int callers, int rounds, std::chrono::microseconds write_time,
                               std::chrono::microseconds engine_time) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::vector<size_t> batches;
  store->writer().on_batch([&](const BatchResult& result) { batches.push_back(result.ops); });
  for (int c = 0; c < callers; ++c) {
    asio::co_spawn(io, write_wait_work(store, rounds, write_time, engine_time), asio::detached);
  }
  io.restart();
  io.run();
  test::run_awaitable(io, store->close());
  return batches;
}

// Callers in rounds, each write counted on the engine as it is submitted:
// a write that runs on the writer thread while its round's count is short of
// `callers` ran during the engine turn that made it. Caller `throwing_caller`
// fails its write in round `throwing_round` (-1: none); every write inserts
// round * 1000 + caller into a table of its own, so what committed can be read back.
struct Rounds {
  int callers = 0;
  int rounds = 0;
  int throwing_round = -1;
  int throwing_caller = -1;
  std::unique_ptr<std::atomic<int>[]> submitted;  // per round, engine thread
  std::atomic<int> ran_during_turn{0};           // writer thread
  std::vector<int> acked, failed;  // round * 1000 + caller
};

asio::awaitable<void> caller_rounds(std::shared_ptr<EventStore> store, std::shared_ptr<Rounds> rounds, int caller) {
  for (int round = 0; round < rounds->rounds; ++round) {
    busy_for(std::chrono::microseconds(400));  // the engine's work before the write, in the turn
    ++rounds->submitted[round];
    const bool throws = round == rounds->throwing_round && caller == rounds->throwing_caller;
    const uint64_t seq = store->writer().submit([rounds, round, caller, throws](Database& db) {
      if (rounds->submitted[round] < rounds->callers) ++rounds->ran_during_turn;
      db.cached("INSERT INTO round_writes (round, caller) VALUES (?1, ?2)").bind(1, round).bind(2, caller).run();
      std::this_thread::sleep_for(std::chrono::microseconds(600));
      if (throws) throw StoreError("a write that fails");
    });
    try {
      co_await store->writer().wait_for(seq);
      rounds->acked.push_back(round * 1000 + caller);
    } catch (const StoreError&) {
      rounds->failed.push_back(round * 1000 + caller);
    }
  }
}

std::shared_ptr<Rounds> run_rounds(test::TempDir& dir, int callers, int rounds_count, int throwing_round,
                                   int throwing_caller, std::vector<int>* committed) {
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::function<int(Database&)> create = [](Database& db) {
    db.exec("CREATE TABLE round_writes (round INTEGER, caller INTEGER)");
    return 0;
  };
  test::run_awaitable(io, store->writer().execute<int>(std::move(create)));
  auto rounds = std::make_shared<Rounds>();
  rounds->callers = callers;
  rounds->rounds = rounds_count;
  rounds->throwing_round = throwing_round;
  rounds->throwing_caller = throwing_caller;
  rounds->submitted = std::make_unique<std::atomic<int>[]>(static_cast<size_t>(rounds_count));
  for (int c = 0; c < callers; ++c) asio::co_spawn(io, caller_rounds(store, rounds, c), asio::detached);
  io.restart();
  io.run();
  std::function<int(Database&)> read = [committed](Database& db) {
    auto& statement = db.cached("SELECT round, caller FROM round_writes ORDER BY round, caller");
    while (statement.step()) {
      committed->push_back(static_cast<int>(statement.column_int(0) * 1000 + statement.column_int(1)));
    }
    statement.reset();
    return 0;
  };
  test::run_awaitable(io, store->writer().execute<int>(std::move(read)));
  test::run_awaitable(io, store->close());
  return rounds;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(writer)

// Commit-bound callers (an appender's turn is a fraction of its commit) stay
// one group whose batches are whole, even when the engine's turn runs past
// the early hand-over's 300 us: splitting it would make the second part's
// acknowledgements wait for two commits.
BOOST_AUTO_TEST_CASE(callers_whose_commits_outlast_the_engines_turn_stay_one_whole_group) {
  // 16 writes of 0.4 ms: a 6.4 ms commit; 16 x 50 us: a 0.8 ms turn.
  auto batches = batches_of(16, 12, std::chrono::microseconds(400), std::chrono::microseconds(50));
  BOOST_TEST_REQUIRE(batches.size() >= 12u);
  BOOST_TEST_INFO("batches: " << batches.size());
  BOOST_TEST(batches.size() <= 13u);  // the first turn may hand over in two parts
  BOOST_TEST(std::count(batches.begin(), batches.end(), size_t{16}) >= 11);
}

// When the engine is the bottleneck (its turn over a result longer than the
// result's commit), the Writer does not keep the callers in one group: what
// a long turn wrote so far is committed while the turn goes on, and the
// groups overlap.
BOOST_AUTO_TEST_CASE(callers_whose_engine_turn_outlasts_the_commit_split_into_overlapping_groups) {
  // 16 x 0.5 ms: an 8 ms turn; 16 empty writes commit in well under that.
  auto batches = batches_of(16, 12, std::chrono::microseconds(0), std::chrono::microseconds(500));
  BOOST_TEST_INFO("batches: " << batches.size());
  BOOST_TEST(batches.size() >= 18u);  // one group would be 12 commits
}

// While the Writer holds a commit for the engine's turn, it runs the writes
// handed over so far (every 16): at the turn's end only the rest and the
// COMMIT remain. 32 callers, 0.4 ms of engine work each before a write of
// 0.6 ms (a 12.8 ms turn, a 19.2 ms commit: the writer is the bottleneck, so
// the Writer keeps the callers one group): the first 16 writes go over half
// way through the turn and about 10 run before it ends (6.4 ms: room for a
// loaded machine's scheduling). Without it, no write would run before its
// round's last submit.
BOOST_AUTO_TEST_CASE(a_held_commit_runs_the_writes_handed_over_during_the_engines_turn) {
  test::TempDir dir;
  std::vector<int> committed;
  auto rounds = run_rounds(dir, 32, 8, -1, -1, &committed);
  BOOST_TEST(rounds->acked.size() == 32u * 8u);
  BOOST_TEST(committed.size() == 32u * 8u);
  BOOST_TEST_INFO("writes run during their turn: " << rounds->ran_during_turn.load());
  BOOST_TEST(rounds->ran_during_turn.load() >= 7 * 3);  // rounds 1..7 resume in a result's turn
}

// A write that fails after others of its batch already ran in the open
// transaction fails the whole batch: none of its writes is committed, every
// one of them is reported failed, and the next batch commits.
BOOST_AUTO_TEST_CASE(a_write_failing_late_in_a_batch_undoes_the_writes_run_before_it) {
  test::TempDir dir;
  std::vector<int> committed;
  auto rounds = run_rounds(dir, 32, 6, 3, 30, &committed);
  auto acked = rounds->acked;
  std::sort(acked.begin(), acked.end());
  BOOST_TEST(committed == acked, boost::test_tools::per_element());  // committed exactly when acknowledged
  BOOST_TEST_INFO("failed: " << rounds->failed.size());
  BOOST_TEST(rounds->failed.size() > 1u);  // writes of the batch before the failing one went too
  BOOST_TEST(std::count(rounds->failed.begin(), rounds->failed.end(), 3030) == 1);
  BOOST_TEST(acked.back() == 5031);  // writing went on
}

BOOST_AUTO_TEST_CASE(a_commit_gathers_every_write_posted_while_the_writer_thread_was_busy) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::vector<size_t> batches;
  store->writer().on_batch([&](const BatchResult& result) { batches.push_back(result.ops); });

  // Hold the writer thread inside a task until 100 writes are posted behind it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> started = false;
  std::function<int(Database&)> block = [&started, released](Database&) {
    started = true;
    released.wait();
    return 0;
  };
  asio::co_spawn(io, store->writer().execute<int>(std::move(block)), asio::detached);
  io.restart();
  while (!started) io.run_one_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 100; ++i) store->append(tick());
  release.set_value();
  test::run_awaitable(io, store->flush());

  BOOST_TEST(batches == std::vector<size_t>{100});  // one commit, every write in it
  BOOST_TEST(store->committed_id() == 100);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(results_come_back_in_submission_order_and_waiters_resume_in_id_order) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  store->writer().on_batch([&](const BatchResult& result) { ranges.emplace_back(result.first_seq, result.last_seq); });
  std::vector<int64_t> acked;
  for (int i = 0; i < 600; ++i) asio::co_spawn(io, append_and_record(store, &acked), asio::detached);
  io.restart();
  io.run();

  BOOST_TEST(acked.size() == 600u);
  BOOST_TEST(std::is_sorted(acked.begin(), acked.end()));
  BOOST_TEST_REQUIRE(!ranges.empty());
  BOOST_TEST(ranges.front().first == store->writer().completed_seq() - 599);
  for (size_t i = 1; i < ranges.size(); ++i) BOOST_TEST(ranges[i].first == ranges[i - 1].second + 1);
  BOOST_TEST(ranges.back().second == store->writer().completed_seq());
  BOOST_TEST(ranges.size() < 600u);  // grouped
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_CASE(execute_runs_after_the_writes_posted_before_it) {
  test::TempDir dir;
  asio::io_context io;
  auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), test::store_at(dir)));
  for (int i = 0; i < 50; ++i) store->append(tick());
  std::function<int64_t(Database&)> count = [](Database& db) { return db.query_int("SELECT count(*) FROM events"); };
  BOOST_TEST(test::run_awaitable(io, store->writer().execute<int64_t>(std::move(count))) == 50);
  test::run_awaitable(io, store->close());
}

BOOST_AUTO_TEST_SUITE_END()
