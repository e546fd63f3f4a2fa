// "A kill -9 loses no event whose flush had returned": a child process
// appends events through the real EventStore from many coroutines and
// reports each acknowledged id on a pipe; the test SIGKILLs it mid-stream,
// then reads the file with another connection.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "stores/sqlite.hpp"
#include "stores/event_store.hpp"
#include "support/async_test.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

asio::awaitable<void> append_forever(std::shared_ptr<EventStore> store, int fd, int writer) {
  for (;;) {
    NewEvent event;
    event.event_type = "probe";
    event.tenant_id = "t" + std::to_string(writer % 4);
    event.payload = boost::json::object{{"writer", writer}};
    int64_t id = co_await store->append_durable(std::move(event));
    std::string line = std::to_string(id) + "\n";
    if (::write(fd, line.data(), line.size()) < 0) _exit(3);
  }
}

[[noreturn]] void run_child(const std::filesystem::path& db, int fd, const std::string& synchronous) {
  try {
    asio::io_context io;
    OpenOptions options;
    options.synchronous = synchronous;
    auto store = test::run_awaitable(io, EventStore::open(io.get_executor(), db, options));
    for (int w = 0; w < 32; ++w) asio::co_spawn(io, append_forever(store, fd, w), asio::detached);
    io.restart();
    io.run();
  } catch (...) {
  }
  _exit(2);
}

std::vector<int64_t> ids_on_disk(const std::filesystem::path& db_path) {
  SqliteDatabase db(db_path, OpenOptions{.read_only = true});
  SqliteStatement statement(db.handle(), "SELECT id FROM events ORDER BY id");
  std::vector<int64_t> ids;
  while (statement.step()) ids.push_back(statement.column_int(0));
  return ids;
}

void kill_rounds(const std::string& synchronous) {
  test::TempDir dir;
  auto db = dir / "solo.db";
  std::set<int64_t> acknowledged;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    BOOST_TEST_REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      run_child(db, fds[1], synchronous);
    }
    close(fds[1]);
    // Let it acknowledge a varying number of events, then kill it mid-stream.
    std::string received;
    size_t wanted = 300 + 400 * round;
    char buffer[4096];
    while (std::count(received.begin(), received.end(), '\n') < static_cast<long>(wanted)) {
      ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n <= 0) break;
      received.append(buffer, static_cast<size_t>(n));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) received.append(buffer, static_cast<size_t>(n));
    close(fds[0]);
    BOOST_TEST(WIFSIGNALED(status));
    std::istringstream lines(received);
    for (int64_t id; lines >> id;) acknowledged.insert(id);

    auto ids = ids_on_disk(db);
    std::set<int64_t> stored(ids.begin(), ids.end());
    size_t missing = 0;
    for (int64_t id : acknowledged) missing += stored.count(id) ? 0 : 1;
    BOOST_TEST(missing == 0u, "round " << round << ": acknowledged events lost");
    for (size_t i = 0; i < ids.size(); ++i) BOOST_TEST_REQUIRE(ids[i] == static_cast<int64_t>(i + 1));
    BOOST_TEST(ids.size() >= acknowledged.size());
  }
  BOOST_TEST(acknowledged.size() >= 2100u);  // 300 + 700 + 1100 asked for
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(sigkill_loses_no_acknowledged_event_and_ids_stay_gap_free_across_rounds) {
  kill_rounds("FULL");
}

BOOST_AUTO_TEST_CASE(with_synchronous_normal_a_process_crash_still_loses_nothing_acknowledged) {
  kill_rounds("NORMAL");
}

BOOST_AUTO_TEST_SUITE_END()
